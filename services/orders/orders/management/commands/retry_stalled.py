"""Re-publish the pending step of every stalled order saga (PENDING/PAID past the timeout)."""

from django.core.management.base import BaseCommand

from orders import selectors, services


class Command(BaseCommand):
    help = "Re-publish order-created (with a new event id) for orders stuck PENDING/PAID too long."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=None, help="seconds; default SAGA_TIMEOUT_SECONDS"
        )
        parser.add_argument("--dry-run", action="store_true", help="list the stalled orders only")

    def handle(self, *args, older_than, dry_run, **options):
        stalled = list(selectors.orders_stalled(timeout_seconds=older_than).values_list("id", "status"))
        retried = 0
        for order_id, status in stalled:
            if dry_run:
                self.stdout.write(f"stalled {order_id} {status}")
            elif services.order_retry_saga(order_id=order_id):
                retried += 1
                self.stdout.write(f"retried {order_id} {status}")
        self.stdout.write(f"{len(stalled)} stalled, {retried} retried")
