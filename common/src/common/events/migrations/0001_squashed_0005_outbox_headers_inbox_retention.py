"""The event bus's tables and the outbox trigger as 0001-0005 leave them, in one migration.

A new database runs this alone. A database that applied 0001-0005 has it marked applied by
its next `migrate` (Django's `replaces`), and one that applied only some of them goes on
with the old files, which stay until every database has run this (docs/EVENTS.md).
"""

import uuid

from django.db import migrations, models

from common.events.migrations import _outbox_notify as sql


class Migration(migrations.Migration):
    replaces = [
        ("events", "0001_initial"),
        ("events", "0002_outbox_notify"),
        ("events", "0003_notify_only_when_relay_waits"),
        ("events", "0004_notify_at_commit"),
        ("events", "0005_outbox_headers_inbox_retention"),
    ]

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="InboxEvent",
            fields=[
                ("event_id", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("event_type", models.CharField(max_length=100)),
                ("topic", models.CharField(max_length=200)),
                ("handled_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="OutboxEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("event_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("event_type", models.CharField(max_length=100)),
                ("topic", models.CharField(max_length=200)),
                ("key", models.CharField(max_length=200)),
                ("payload", models.JSONField()),
                ("correlation_id", models.CharField(blank=True, default="", max_length=128)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("sent_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("headers", models.JSONField(blank=True, default=dict)),
                ("raw_value", models.BinaryField(blank=True, null=True)),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["sent_at", "id"], name="outbox_pending_idx")],
            },
        ),
        sql.PostgreSQLOnly(sql.INSTALL, reverse_sql=sql.UNINSTALL),
    ]
