"""The squashed events migration: the same end state as 0001-0005, and safe for databases that ran them."""

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from common.events.models import OutboxEvent
from common.events.relay import LOWER_FLAG, NOTIFY_CHANNEL, RAISE_FLAG, OutboxListener

SQUASH = ("events", "0001_squashed_0005_outbox_headers_inbox_retention")
REPLACED = [
    ("events", "0001_initial"),
    ("events", "0002_outbox_notify"),
    ("events", "0003_notify_only_when_relay_waits"),
    ("events", "0004_notify_at_commit"),
    ("events", "0005_outbox_headers_inbox_retention"),
]


def test_the_squash_replaces_every_events_migration_and_leaves_the_same_models():
    squashed = MigrationLoader(None)
    replaced = MigrationLoader(None, replace_migrations=False)
    assert squashed.graph.leaf_nodes("events") == [SQUASH]
    assert squashed.get_migration(*SQUASH).replaces == REPLACED
    # Without replacing, both histories are there: the old chain ends at 0005.
    assert set(replaced.graph.leaf_nodes("events")) == {SQUASH, REPLACED[-1]}
    after_squash = squashed.project_state(SQUASH, at_end=True)
    after_replaced = replaced.project_state(REPLACED[-1], at_end=True)
    for model in ("outboxevent", "inboxevent"):
        assert after_squash.models["events", model] == after_replaced.models["events", model], model


def record_only(applied: list[tuple[str, str]]) -> MigrationExecutor:
    """Make the events app's recorded history `applied` (rolled back with the test); load it."""
    recorder = MigrationRecorder(connection)
    recorder.migration_qs.filter(app="events").delete()
    for key in applied:
        recorder.record_applied(*key)
    return MigrationExecutor(connection)


@pytest.mark.django_db
def test_a_database_that_ran_the_replaced_migrations_has_nothing_to_run_and_records_the_squash():
    executor = record_only(REPLACED)
    assert SQUASH in executor.loader.applied_migrations
    assert executor.migration_plan(executor.loader.graph.leaf_nodes("events")) == []
    executor.check_replacements()  # what every `migrate` does first
    assert SQUASH in MigrationRecorder(connection).applied_migrations()


@pytest.mark.django_db
def test_a_database_that_ran_some_of_them_goes_on_with_the_old_files():
    executor = record_only(REPLACED[:3])
    assert SQUASH not in executor.loader.applied_migrations
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes("events"))
    assert [(migration.app_label, migration.name) for migration, _ in plan] == REPLACED[3:]


def record_outbox_row(key: str) -> None:
    OutboxEvent.objects.create(event_type="widget-counted", topic="t", key=key, payload={})


def notified(listener: OutboxListener, timeout: float) -> list[str]:
    return [note.channel for note in listener.conn.notifies(timeout=timeout, stop_after=1)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_after_migrate_the_outbox_trigger_notifies_at_commit_only_while_the_relay_waits():
    listener = OutboxListener()
    try:
        assert listener.is_leader()
        record_outbox_row("flag-down")
        assert notified(listener, 0.5) == []
        with transaction.atomic():
            record_outbox_row("flag-raised-before-commit")
            listener.conn.execute(RAISE_FLAG)  # after the insert: the trigger reads it at commit
            assert notified(listener, 0.3) == []  # nothing before the commit
        assert notified(listener, 5) == [NOTIFY_CHANNEL]
        listener.conn.execute(LOWER_FLAG)
        record_outbox_row("flag-lowered")
        assert notified(listener, 0.5) == []
    finally:
        listener.close()
