from django.db import models


class Widget(models.Model):
    """A thing whose changes publish events and whose events have effects, for tests."""

    name = models.CharField(max_length=100, unique=True)
    count = models.IntegerField(default=0)
    # While frozen, the widget-counted handler fails (a bug to "fix" before replaying).
    frozen = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Effect(models.Model):
    """One application of a widget-counted event: tests count these to catch doubles."""

    event_id = models.CharField(max_length=128, db_index=True)
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=200, blank=True, default="")
    seq = models.IntegerField(null=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} {self.event_id}"
