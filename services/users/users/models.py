"""An email-based account with a name and a role; its login sessions (refresh-token families)."""

import hashlib
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models

from common.auth import ROLE_ADMIN, ROLE_CUSTOMER


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        CUSTOMER = ROLE_CUSTOMER, "Customer"
        ADMIN = ROLE_ADMIN, "Admin"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    def __str__(self) -> str:
        return self.email

    def credentials_stamp(self) -> str:
        """A digest of what a session was granted for: the password (hash) and the role.

        A session remembers the stamp it began with; once the password or the role changed
        (by any path: createadmin, the admin site, a shell), the stamps differ and the
        session's refresh tokens are refused.
        """
        return hashlib.sha256(f"{self.password}\x00{self.role}".encode()).hexdigest()


class RefreshSession(models.Model):
    """One login: the family of refresh tokens rotated from it (OAuth 2.0 Security BCP).

    Only the family's newest refresh token (`current_jti`) may be used. Presenting an older
    one means a token was copied: the whole family is revoked. A family ends at
    `expires_at` (the absolute session lifetime, JWT_SESSION_DAYS) however often it was
    refreshed, and when its user's password or role changed (`credentials_stamp`).
    """

    class Reason(models.TextChoices):
        REUSE = "reuse", "a used refresh token was presented again"
        CREDENTIALS = "credentials", "the password or role changed"
        ADMIN = "admin", "revoked by an administrator"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_sessions")
    current_jti = models.CharField(max_length=64)
    credentials_stamp = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="users_session_user_expiry")]

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"
