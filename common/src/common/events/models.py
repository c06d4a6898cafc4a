"""The outbox (events waiting for the broker) and the inbox (events already handled)."""

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event recorded in the same transaction as the change that caused it."""

    # Auto-increment order is the send order: per key, events leave as they were recorded.
    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=100)
    topic = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    payload = models.JSONField()
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    # Extra Kafka headers (str → str): the W3C trace context of the publisher; for a dead
    # letter, the original message's headers plus the `dlq_*` ones.
    headers = models.JSONField(default=dict, blank=True)
    # A dead letter of a message that was not an event keeps its bytes here, sent verbatim.
    raw_value = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sent_at", "id"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.key} ({self.event_id})"


class InboxEvent(models.Model):
    """An event id (`ce_id`) whose handler effects have committed: seen again, it is skipped."""

    event_id = models.CharField(max_length=128, primary_key=True)
    event_type = models.CharField(max_length=100)
    topic = models.CharField(max_length=200)
    handled_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
