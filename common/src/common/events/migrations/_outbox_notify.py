"""The outbox trigger's SQL, each statement written once; the events migrations compose it.

The relay LISTENs on `events_outbox`; the trigger wakes it when an outbox row commits, and
only while the relay's flag (`events_relay_waiting`) is up: see 0002-0004 for why each step.
PostgreSQL only: SQLite has no LISTEN/NOTIFY, its relay polls.

Frozen with the migrations that use it: an applied migration never runs again, so a new
trigger is a new migration with new statements here, never an edit of these.
"""

from django.db import migrations

NOTIFY_ALWAYS = """
CREATE OR REPLACE FUNCTION events_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('events_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

NOTIFY_WHILE_RELAY_WAITS = """
CREATE OR REPLACE FUNCTION events_outbox_notify() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM events_relay_waiting WHERE waiting) THEN
        PERFORM pg_notify('events_outbox', '');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

DROP_FUNCTION = "DROP FUNCTION IF EXISTS events_outbox_notify()"

CREATE_FLAG = """
CREATE UNLOGGED TABLE IF NOT EXISTS events_relay_waiting (
    id integer PRIMARY KEY,
    waiting boolean NOT NULL
)
"""

DROP_FLAG = "DROP TABLE IF EXISTS events_relay_waiting"

DROP_TRIGGER = "DROP TRIGGER IF EXISTS events_outbox_notify ON events_outboxevent"

# At insert time, once per statement (0002).
TRIGGER_AT_INSERT = """
CREATE TRIGGER events_outbox_notify AFTER INSERT ON events_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION events_outbox_notify()
"""

# Deferred to just before the commit (0004), so the flag is read at commit time.
TRIGGER_AT_COMMIT = """
CREATE CONSTRAINT TRIGGER events_outbox_notify AFTER INSERT ON events_outboxevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION events_outbox_notify()
"""

# What 0002-0004 leave, in one step (the squashed migration), and its undoing.
INSTALL = [CREATE_FLAG, NOTIFY_WHILE_RELAY_WAITS, DROP_TRIGGER, TRIGGER_AT_COMMIT]
UNINSTALL = [DROP_TRIGGER, DROP_FUNCTION, DROP_FLAG]


class PostgreSQLOnly(migrations.RunSQL):
    """Run the statements on PostgreSQL and nothing elsewhere: only it has LISTEN/NOTIFY."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "PostgreSQL only: " + super().describe()
