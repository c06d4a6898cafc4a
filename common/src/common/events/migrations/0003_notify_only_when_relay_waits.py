"""NOTIFY only while the relay waits: a NOTIFY serializes commits cluster-wide.

PostgreSQL takes one global lock for every transaction that NOTIFYs, held through its
commit; measured with 8 clients inserting outbox rows: ~450 commits/s with a NOTIFY each,
~3,500 without. So the relay raises a flag (an unlogged one-row table) before it sleeps,
and the outbox trigger notifies only while the flag is up: a busy relay, which finds rows
on every poll anyway, costs committers nothing.
"""

from django.db import migrations

from common.events.migrations import _outbox_notify as sql


class Migration(migrations.Migration):
    dependencies = [("events", "0002_outbox_notify")]

    operations = [
        sql.PostgreSQLOnly(
            [sql.CREATE_FLAG, sql.NOTIFY_WHILE_RELAY_WAITS], reverse_sql=[sql.NOTIFY_ALWAYS, sql.DROP_FLAG]
        )
    ]
