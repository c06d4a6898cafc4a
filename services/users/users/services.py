"""Write operations of the users service."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django_ratelimit.core import get_usage
from rest_framework import exceptions
from rest_framework_simplejwt.tokens import RefreshToken

from common.events import publish
from common.middleware import client_ip
from users.models import User


class EmailTaken(exceptions.ValidationError):
    def __init__(self):
        super().__init__({"email": ["A user with this email already exists."]})


class TooManyLoginFailures(exceptions.Throttled):
    default_detail = "Too many failed logins. Try again later."


def user_tokens(*, user: User) -> dict:
    """Issue a refresh/access pair carrying the claims other services authorize on."""
    refresh = RefreshToken.for_user(user)
    refresh["email"] = user.email
    refresh["name"] = user.name
    refresh["role"] = user.role
    return {"token": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def user_register(*, name: str, email: str, password: str) -> User:
    """Create a customer account and announce it; a `role` is never taken from the caller."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, name=name, role=User.Role.CUSTOMER
            )
    except IntegrityError as error:  # a concurrent registration won the race
        raise EmailTaken() from error
    publish(
        event_type="user-registered",
        key=str(user.id),
        data={
            "userId": str(user.id),
            "email": user.email,
            "name": user.name,
            "registeredAt": user.date_joined,
        },
    )
    return user


def _login_failure_usage(request, email: str, *, increment: bool) -> list[dict]:
    rate = settings.LOGIN_RATE_LIMIT
    keys = {"email": lambda group, req: email, "ip": lambda group, req: client_ip(req)}
    usages = []
    for name, key in keys.items():
        usage = get_usage(request, group=f"login-failures-{name}", key=key, rate=rate, increment=increment)
        if usage:
            usages.append(usage)
    return usages


def user_login(*, request, email: str, password: str) -> User:
    """Check the credentials; after LOGIN_RATE_LIMIT failures per email or per IP, refuse (429)."""
    email = email.strip().lower()
    limited = settings.LOGIN_RATE_LIMIT.lower() not in {"off", "none", "0", ""}
    if limited:
        for usage in _login_failure_usage(request, email, increment=False):
            if usage["count"] >= usage["limit"]:
                raise TooManyLoginFailures(wait=max(1, usage["time_left"]))
    user = authenticate(request, email=email, password=password)
    if user is None:
        if limited:
            _login_failure_usage(request, email, increment=True)
        raise exceptions.AuthenticationFailed("Invalid email or password.")
    return user


@transaction.atomic
def user_make_admin(*, email: str, password: str, name: str = "Admin") -> User:
    """Create an admin account, or reset an existing one's password and role."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return User.objects.create_superuser(email=email, password=password, name=name)
    user.set_password(password)
    user.role, user.is_staff, user.is_superuser, user.is_active = User.Role.ADMIN, True, True, True
    user.save()
    return user
