"""Wake the relay on commit: a statement trigger NOTIFYs `events_outbox` (PostgreSQL only).

NOTIFY is delivered when the inserting transaction commits, and never if it rolls back.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION events_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('events_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent;
CREATE TRIGGER events_outbox_notify AFTER INSERT ON events_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION events_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent;
DROP FUNCTION IF EXISTS events_outbox_notify();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
