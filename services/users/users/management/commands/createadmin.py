"""Create (or reset) an admin account without prompting."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from common.management.database import migrate_if_needed
from users.services import user_make_admin


class Command(BaseCommand):
    help = "Create an admin account, or reset the password and role of an existing one."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="Admin")

    def handle(self, *args, email, password, name, **options):
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"not an email address: {email!r}") from error
        if not password:
            raise CommandError("the password must not be empty")
        migrate_if_needed()
        user = user_make_admin(email=email, password=password, name=name)
        self.stdout.write(f"admin ready: {user.email}")
