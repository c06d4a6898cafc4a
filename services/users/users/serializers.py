"""Input and output shapes of the users API."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from users.models import User

# AUTH_PASSWORD_VALIDATORS' MinimumLengthValidator (8), stated here so the schema says it too.
PASSWORD_MIN_LENGTH = 8


class RegisterInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        min_length=PASSWORD_MIN_LENGTH, max_length=128, write_only=True, trim_whitespace=False
    )

    def validate(self, attrs):
        candidate = User(email=attrs["email"], name=attrs["name"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class UserOutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "email", "role"]


class AuthOutputSerializer(UserOutputSerializer):
    token = serializers.CharField()
    refresh = serializers.CharField()

    class Meta(UserOutputSerializer.Meta):
        fields = [*UserOutputSerializer.Meta.fields, "token", "refresh"]


class TokenPairOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    refresh = serializers.CharField()


class JWKOutputSerializer(serializers.Serializer):
    """An RSA public key (RFC 7517) for RS256 signatures."""

    kty = serializers.CharField()
    kid = serializers.CharField()
    use = serializers.CharField()
    alg = serializers.CharField()
    n = serializers.CharField()
    e = serializers.CharField()


class JWKSetOutputSerializer(serializers.Serializer):
    keys = JWKOutputSerializer(many=True)
