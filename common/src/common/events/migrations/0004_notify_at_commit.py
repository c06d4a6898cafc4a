"""Check the relay's flag at commit time, not at insert time.

A deferred (constraint) trigger runs just before the commit, so a transaction that inserted
its outbox row before the relay raised its flag still notifies if it commits after: the
window in which a wake-up can be missed (then the relay's short poll covers it) shrinks
from the rest of the transaction to its commit.
"""

from django.db import migrations

from common.events.migrations import _outbox_notify as sql


class Migration(migrations.Migration):
    dependencies = [("events", "0003_notify_only_when_relay_waits")]

    operations = [
        sql.PostgreSQLOnly(
            [sql.DROP_TRIGGER, sql.TRIGGER_AT_COMMIT], reverse_sql=[sql.DROP_TRIGGER, sql.TRIGGER_AT_INSERT]
        )
    ]
