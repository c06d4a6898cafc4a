"""Make the payment-provider simulator fail refunds for a while, or end that outage."""

from django.core.management.base import BaseCommand, CommandError

from payments.simulator.control import simulator_fail_refunds, simulator_restore


class Command(BaseCommand):
    help = "Control the payment-provider simulator: --fail-refunds N, --fail-refunds-for SECONDS, --restore."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fail-refunds", type=int, default=0, metavar="N", help="fail the next N refunds"
        )
        parser.add_argument(
            "--fail-refunds-for",
            type=float,
            default=0,
            metavar="SECONDS",
            help="fail every refund for a while",
        )
        parser.add_argument("--restore", action="store_true", help="end the outage")

    def handle(self, *args, fail_refunds, fail_refunds_for, restore, **options):
        if restore:
            simulator_restore()
            self.stdout.write("simulator: refunds succeed")
            return
        if fail_refunds <= 0 and fail_refunds_for <= 0:
            raise CommandError("give --fail-refunds N, --fail-refunds-for SECONDS or --restore")
        simulator_fail_refunds(calls=fail_refunds, seconds=fail_refunds_for)
        self.stdout.write(f"simulator: refunds fail ({fail_refunds} calls, {fail_refunds_for} s)")
