"""HTTP endpoints of the users service: register, login, refresh, profile, the JWKS."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import PublicEndpointMixin
from common.schema import ErrorDetailSerializer
from common.tokens import jwks
from users import selectors, services
from users.serializers import (
    AuthOutputSerializer,
    JWKSetOutputSerializer,
    LoginInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenPairOutputSerializer,
    UserOutputSerializer,
)

JWKS_MAX_AGE_SECONDS = 300

# OpenAPI links: a token pair's refresh token is what POST /api/auth/refresh takes.
_REFRESH_LINK = {
    "refresh": {
        "operationId": "auth_refresh_create",
        "requestBody": {"refresh": "$response.body#/refresh"},
        "description": "Swap the refresh token of this answer for a new pair.",
    }
}


def _auth_response(user, *, status_code: int) -> Response:
    data = {**UserOutputSerializer(user).data, **services.session_start(user=user)}
    return Response(AuthOutputSerializer(data).data, status=status_code)


class RegisterView(PublicEndpointMixin, APIView):
    openapi_links = {"POST": {"201": _REFRESH_LINK}}

    @extend_schema(request=RegisterInputSerializer, responses={201: AuthOutputSerializer})
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return _auth_response(user, status_code=status.HTTP_201_CREATED)


class LoginView(PublicEndpointMixin, APIView):
    """Log in: a new session, whose first token pair is returned."""

    openapi_links = {"POST": {"200": _REFRESH_LINK}}

    @extend_schema(
        request=LoginInputSerializer, responses={200: AuthOutputSerializer, 401: ErrorDetailSerializer}
    )
    def post(self, request):
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_login(request=request, **serializer.validated_data)
        return _auth_response(user, status_code=status.HTTP_200_OK)


class RefreshView(PublicEndpointMixin, APIView):
    """Swap a session's newest refresh token for a new pair; a reused one revokes the session."""

    openapi_links = {"POST": {"200": _REFRESH_LINK}}

    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: TokenPairOutputSerializer, 401: ErrorDetailSerializer},
    )
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.session_refresh(**serializer.validated_data)
        return Response(TokenPairOutputSerializer(pair).data)


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request):
        user = selectors.user_get(user_id=request.user.id)
        if user is None:
            raise exceptions.AuthenticationFailed("User no longer exists.")
        return Response(UserOutputSerializer(user).data)


class JWKSView(PublicEndpointMixin, APIView):
    """The public keys access tokens may be signed with (a token's `kid` names one)."""

    @extend_schema(operation_id="auth_jwks", responses={200: JWKSetOutputSerializer})
    def get(self, request):
        response = Response(JWKSetOutputSerializer(jwks()).data)
        response["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
        return response
