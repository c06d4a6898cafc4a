"""Wake the relay on commit: a statement trigger NOTIFYs `events_outbox` (PostgreSQL only).

NOTIFY is delivered when the inserting transaction commits, and never if it rolls back.
"""

from django.db import migrations

from common.events.migrations import _outbox_notify as sql


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        sql.PostgreSQLOnly(
            [sql.NOTIFY_ALWAYS, sql.DROP_TRIGGER, sql.TRIGGER_AT_INSERT],
            reverse_sql=[sql.DROP_TRIGGER, sql.DROP_FUNCTION],
        )
    ]
