"""Write operations of the users service."""

import hashlib
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_ratelimit.core import get_usage
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError

from common.events import publish
from common.middleware import client_ip
from common.settings.env import RATE_OFF, rate_period_seconds
from common.tokens import RefreshToken
from users.models import RefreshSession, User

logger = logging.getLogger(__name__)


class EmailTaken(exceptions.ValidationError):
    def __init__(self):
        super().__init__({"email": ["A user with this email already exists."]})


class TooManyLoginFailures(exceptions.Throttled):
    default_detail = "Too many failed logins. Try again later."


class RefreshRejected(exceptions.AuthenticationFailed):
    default_detail = "Refresh token is invalid, expired or already used."


def _refresh_token(*, user: User, session: RefreshSession) -> RefreshToken:
    """A refresh token of `session` carrying the claims other services authorize on.

    It lives JWT_REFRESH_DAYS, and never past the session's absolute end.
    """
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = str(session.id)
    refresh["email"] = user.email
    refresh["name"] = user.name
    refresh["role"] = user.role
    refresh["exp"] = min(refresh["exp"], int(session.expires_at.timestamp()))
    return refresh


def _pair(refresh: RefreshToken) -> dict:
    return {"token": str(refresh.access_token), "refresh": str(refresh)}


def session_start(*, user: User) -> dict:
    """Begin a login session (a new refresh-token family); return its first token pair."""
    now = timezone.now()
    session = RefreshSession(
        id=uuid.uuid4(),
        user=user,
        credentials_stamp=user.credentials_stamp(),
        expires_at=now + timedelta(days=settings.JWT_SESSION_DAYS),
    )
    refresh = _refresh_token(user=user, session=session)
    session.current_jti = refresh["jti"]
    session.save(force_insert=True)
    RefreshSession.objects.filter(user=user, expires_at__lt=now).delete()  # ended sessions
    return _pair(refresh)


def _session_of(token: RefreshToken) -> RefreshSession | None:
    try:
        session_id = uuid.UUID(str(token.get("sid")))
    except ValueError:
        return None  # issued before sessions existed: log in again
    return RefreshSession.objects.select_related("user").filter(id=session_id).first()


def _revoke(session: RefreshSession, reason: str) -> None:
    RefreshSession.objects.filter(id=session.id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    logger.warning(
        "refresh session revoked",
        extra={"session": str(session.id), "user": str(session.user_id), "reason": reason},
    )


def session_refresh(*, refresh: str) -> dict:
    """Swap the newest refresh token of a session for a new pair; anything else is refused (401).

    The swap is a compare-and-set on the session's `current_jti`: of two concurrent uses
    of one token at most one wins. A token of the session that is not its newest one was
    used before (copied, or stolen): the whole session is revoked, so the thief's tokens
    die with the victim's next refresh and the other way round (OAuth 2.0 Security BCP,
    refresh token rotation with reuse detection). A session also ends at its absolute
    lifetime and when the user's password or role changed. Not in a transaction on
    purpose: a revocation must stay even though the request fails.
    """
    try:
        token = RefreshToken(refresh)  # signature (key ring), expiry and token type
    except TokenError as error:
        raise RefreshRejected() from error
    session = _session_of(token)
    now = timezone.now()
    if (
        session is None
        or session.revoked_at is not None
        or session.expires_at <= now
        or not session.user.is_active
        or str(session.user_id) != str(token.get("user_id"))
    ):
        raise RefreshRejected()
    user = session.user
    if session.credentials_stamp != user.credentials_stamp():
        _revoke(session, RefreshSession.Reason.CREDENTIALS)
        raise RefreshRejected()
    rotated = _refresh_token(user=user, session=session)
    won = RefreshSession.objects.filter(
        id=session.id, current_jti=token.get("jti"), revoked_at__isnull=True
    ).update(current_jti=rotated["jti"], refreshed_at=now)
    if not won:
        _revoke(session, RefreshSession.Reason.REUSE)
        raise RefreshRejected()
    return _pair(rotated)


def session_revoke_all(*, user_id, reason: str = RefreshSession.Reason.ADMIN) -> int:
    """End every open session of a user (e.g. "log out everywhere"); return how many."""
    return RefreshSession.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


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
def user_make_admin(*, email: str, password: str, name: str = "Admin") -> User:
    """Create an admin account, or reset an existing one's password and role.

    A reset ends every session of the account (its credentials changed).
    """
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return User.objects.create_superuser(email=email, password=password, name=name)
    user.set_password(password)
    user.role, user.is_staff, user.is_superuser, user.is_active = User.Role.ADMIN, True, True, True
    user.save()
    session_revoke_all(user_id=user.id, reason=RefreshSession.Reason.CREDENTIALS)
    return user
