"""Notifications become intents sent after the commit: status, Message-ID, retry state.

Rows written before this migration were sent inside their event's transaction, so they
become SENT (sent at their creation time) with the Message-ID derived from their id.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, Q


def mark_existing_sent(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.update(status="SENT", sent_at=F("created_at"))
    for notification_id in Notification.objects.values_list("id", flat=True).iterator():
        Notification.objects.filter(id=notification_id).update(message_id=f"<{notification_id}@commercex>")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="source_event_key",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="notification",
            name="source_event_data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="notification",
            name="correlation_id",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
        migrations.AddField(
            model_name="notification",
            name="trace_headers",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="notification",
            name="message_id",
            field=models.CharField(default="", max_length=255),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("PENDING", "Pending"),
                    ("SENT", "Sent"),
                    ("FAILED", "Failed (refused for good)"),
                    ("PARKED", "Parked (kept failing)"),
                ],
                default="PENDING",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="notification",
            name="first_failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="last_error",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="notification",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_sent, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="message_id",
            field=models.CharField(max_length=255, unique=True),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=Q(status="PENDING"), fields=["next_attempt_at"], name="notification_due_idx"
            ),
        ),
    ]
