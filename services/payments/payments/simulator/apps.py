from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "payments.simulator"
    label = "payment_simulator"
    verbose_name = "Payment provider simulator"
