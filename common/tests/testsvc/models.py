from django.db import models


class Widget(models.Model):
    """A thing whose changes publish events and whose events have effects, for tests."""

    name = models.CharField(max_length=100, unique=True)
    count = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.name
