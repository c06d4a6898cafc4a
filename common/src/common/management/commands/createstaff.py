"""Create (or reset) a Django admin-site login for this service, without prompting.

Each service keeps its own admin-site accounts in its own database; `manage_all.py
createadmin` runs this in every service beside the users service's `createadmin`.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from common.management.database import migrate_if_needed


class Command(BaseCommand):
    help = "Create an admin-site superuser, or reset an existing one's password."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, email, password, **options):
        migrate_if_needed()
        self._save(email=email, password=password)
        self.stdout.write(f"admin-site login ready: {email}")

    @transaction.atomic
    def _save(self, *, email: str, password: str) -> None:
        user_model = get_user_model()
        username_field = user_model.USERNAME_FIELD
        user = user_model.objects.filter(**{username_field: email}).first()
        if user is None:
            user = user_model(**{username_field: email})
            if hasattr(user, "email"):
                user.email = email
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
