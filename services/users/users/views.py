"""HTTP endpoints of the users service: register, login, refresh, profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import PublicEndpointMixin
from users import selectors, services
from users.serializers import (
    AuthOutputSerializer,
    LoginInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenPairOutputSerializer,
    UserOutputSerializer,
)


def _auth_response(user, *, status_code: int) -> Response:
    data = {**UserOutputSerializer(user).data, **services.user_tokens(user=user)}
    return Response(AuthOutputSerializer(data).data, status=status_code)


class RegisterView(PublicEndpointMixin, APIView):
    @extend_schema(request=RegisterInputSerializer, responses={201: AuthOutputSerializer})
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return _auth_response(user, status_code=status.HTTP_201_CREATED)


class LoginView(PublicEndpointMixin, APIView):
    @extend_schema(request=LoginInputSerializer, responses={200: AuthOutputSerializer})
    def post(self, request):
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_login(request=request, **serializer.validated_data)
        return _auth_response(user, status_code=status.HTTP_200_OK)


class RefreshView(PublicEndpointMixin, APIView):
    """Swap a refresh token for a new pair; the old refresh token is blacklisted."""

    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairOutputSerializer})
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.token_refresh(**serializer.validated_data)
        return Response(TokenPairOutputSerializer(pair).data)


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request):
        user = selectors.user_get(user_id=request.user.id)
        if user is None:
            raise exceptions.AuthenticationFailed("User no longer exists.")
        return Response(UserOutputSerializer(user).data)
