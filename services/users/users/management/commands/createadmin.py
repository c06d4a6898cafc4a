"""Create (or reset) an admin account without prompting."""

from django.core.management.base import BaseCommand

from common.management.database import migrate_if_needed
from users.services import user_make_admin


class Command(BaseCommand):
    help = "Create an admin account, or reset the password and role of an existing one."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="Admin")

    def handle(self, *args, email, password, name, **options):
        migrate_if_needed()
        user = user_make_admin(email=email, password=password, name=name)
        self.stdout.write(f"admin ready: {user.email}")
