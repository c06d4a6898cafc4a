"""NOTIFY only while the relay waits: a NOTIFY serializes commits cluster-wide.

PostgreSQL takes one global lock for every transaction that NOTIFYs, held through its
commit; measured with 8 clients inserting outbox rows: ~450 commits/s with a NOTIFY each,
~3,500 without. So the relay raises a flag (an unlogged one-row table) before it sleeps,
and the outbox trigger notifies only while the flag is up: a busy relay, which finds rows
on every poll anyway, costs committers nothing.
"""

from django.db import migrations

CREATE = """
CREATE UNLOGGED TABLE IF NOT EXISTS events_relay_waiting (
    id integer PRIMARY KEY,
    waiting boolean NOT NULL
);
CREATE OR REPLACE FUNCTION events_outbox_notify() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM events_relay_waiting WHERE waiting) THEN
        PERFORM pg_notify('events_outbox', '');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

DROP = """
CREATE OR REPLACE FUNCTION events_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('events_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TABLE IF EXISTS events_relay_waiting;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0002_outbox_notify")]

    operations = [migrations.RunPython(forwards, backwards)]
