"""Input and output shapes of the users API."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from users.models import User

# AUTH_PASSWORD_VALIDATORS' MinimumLengthValidator, checked by the field too (and documented).
PASSWORD_MIN_LENGTH = 8


@extend_schema_field(
    {
        "type": "string",
        "writeOnly": True,
        "minLength": PASSWORD_MIN_LENGTH,
        "maxLength": 128,
        # Not all digits, no NUL character.
        "pattern": r"^[^\u0000]*[^\d\u0000][^\u0000]*$",
        "description": "Checked by AUTH_PASSWORD_VALIDATORS: at least 8 characters, not entirely "
        "numeric, not a common password, not too similar to the name or email.",
    }
)
class NewPasswordField(serializers.CharField):
    """A new account's password; the schema states what the password validators check."""


class RegisterInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = NewPasswordField(
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
