"""Check the relay's flag at commit time, not at insert time.

A deferred (constraint) trigger runs just before the commit, so a transaction that inserted
its outbox row before the relay raised its flag still notifies if it commits after: the
window in which a wake-up can be missed (then the relay's short poll covers it) shrinks
from the rest of the transaction to its commit.
"""

from django.db import migrations

CREATE = """
DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent;
CREATE CONSTRAINT TRIGGER events_outbox_notify AFTER INSERT ON events_outboxevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION events_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent;
CREATE TRIGGER events_outbox_notify AFTER INSERT ON events_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION events_outbox_notify();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_notify_only_when_relay_waits")]

    operations = [migrations.RunPython(forwards, backwards)]
