"""Authenticate every service statelessly from the users service's RS256 access tokens."""

from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.models import TokenUser as SimpleJWTTokenUser

from common.tokens import AccessToken

ROLE_ADMIN = "admin"
ROLE_CUSTOMER = "customer"


class TokenUser(SimpleJWTTokenUser):
    """Build the request user from the token's claims (id, email, role): no database query."""

    @property
    def id(self) -> str:
        return str(self.token["user_id"])

    @property
    def pk(self) -> str:
        return self.id

    @property
    def email(self) -> str:
        return self.token.get("email", "")

    @property
    def name(self) -> str:
        return self.token.get("name", "")

    @property
    def role(self) -> str:
        return self.token.get("role", ROLE_CUSTOMER)

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_staff(self) -> bool:
        return self.is_admin


class JWTAuthentication(JWTStatelessUserAuthentication):
    """Verify a Bearer access token against the key ring (`kid`, JWT_PUBLIC_KEYS); only RS256."""

    www_authenticate_realm = "commercex"

    def get_validated_token(self, raw_token):
        try:
            return AccessToken(raw_token)
        except TokenError as error:
            raise InvalidToken({"detail": f"Invalid access token: {error.args[0]}"}) from error


def is_admin(user) -> bool:
    return bool(
        user and getattr(user, "is_authenticated", False) and getattr(user, "role", None) == ROLE_ADMIN
    )


class IsAdminOrReadOnly(BasePermission):
    """Let anyone read; only an admin write (anonymous writes get 401, customers 403)."""

    message = "Only an admin may do this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return is_admin(request.user)


class PublicEndpointMixin:
    """Let anyone call a view without a token, yet answer bad credentials with 401."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return f'Bearer realm="{JWTAuthentication.www_authenticate_realm}"'
