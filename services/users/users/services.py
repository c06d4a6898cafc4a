"""Write operations of the users service."""

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django_ratelimit.core import get_usage
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from common.events import publish
from common.middleware import client_ip
from common.settings.env import RATE_OFF, rate_period_seconds
from users.models import User


class EmailTaken(exceptions.ValidationError):
    def __init__(self):
        super().__init__({"email": ["A user with this email already exists."]})


class TooManyLoginFailures(exceptions.Throttled):
    default_detail = "Too many failed logins. Try again later."


class RefreshRejected(exceptions.AuthenticationFailed):
    default_detail = "Refresh token is invalid, expired or already used."


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


def _email_key(email: str):
    """Key counters by a digest: no address is written to Redis in clear."""
    digest = hashlib.sha256(email.encode()).hexdigest()
    return lambda group, request: digest


def _ip_key(group, request) -> str:
    return client_ip(request)


def _login_lock(request, email: str) -> dict | None:
    """Return the usage of whichever failure count (this email's, this IP's) is used up, if any."""
    rate = settings.LOGIN_RATE_LIMIT
    for group, key in (("login-failures-email", _email_key(email)), ("login-failures-ip", _ip_key)):
        usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
        if usage and usage["count"] >= usage["limit"]:
            return usage
    return None


def _count_login_failure(request, email: str) -> None:
    """Count a failure against the email, and against the IP once per email tried from it.

    Guessing one account's password is stopped by the email's count; trying many accounts
    from one address by the IP's. One person mistyping their own password many times locks
    only their account, not everyone behind the same address.
    """
    rate = settings.LOGIN_RATE_LIMIT
    get_usage(request, group="login-failures-email", key=_email_key(email), rate=rate, increment=True)
    seen = f"login-failure-seen:{client_ip(request)}:{hashlib.sha256(email.encode()).hexdigest()}"
    if cache.add(seen, 1, timeout=rate_period_seconds(rate)) is not False:
        get_usage(request, group="login-failures-ip", key=_ip_key, rate=rate, increment=True)


def user_login(*, request, email: str, password: str) -> User:
    """Check the credentials; after LOGIN_RATE_LIMIT failures per email or per IP, refuse (429)."""
    email = email.strip().lower()
    limited = settings.LOGIN_RATE_LIMIT != RATE_OFF
    if limited and (lock := _login_lock(request, email)):
        raise TooManyLoginFailures(wait=max(1, lock["time_left"]))
    user = authenticate(request, email=email, password=password)
    if user is None:
        if limited:
            _count_login_failure(request, email)
        raise exceptions.AuthenticationFailed("Invalid email or password.")
    return user


@transaction.atomic
def token_refresh(*, refresh: str) -> dict:
    """Swap a refresh token for a new pair; the old one is blacklisted and can never be used again.

    The blacklist row is the single point of truth: of two concurrent refreshes with the
    same token only the one that creates it succeeds. The new pair carries the account's
    current email, name and role.
    """
    try:
        token = RefreshToken(refresh)  # checks signature, expiry, type and the blacklist
    except TokenError as error:
        raise RefreshRejected() from error
    user = User.objects.filter(id=token.get("user_id"), is_active=True).first()
    if user is None:
        raise RefreshRejected()
    _, blacklisted_now = token.blacklist()
    if not blacklisted_now:
        raise RefreshRejected()
    return user_tokens(user=user)


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
