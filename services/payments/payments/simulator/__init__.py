"""The payment-provider simulator's own state: what an outside provider would keep on its side.

It stands for a remote system, so nothing here is joined with the payments tables: the
idempotency keys it has seen (with the result it gave for each) and an outage switch that
makes refunds fail for a while (for drills and tests; `manage.py provider_simulator`).
"""
