"""Handlers of the stand-in service: what common's event tests consume."""

import os
import time

from django.db import connection
from django.db.models import F

from common.events import RetryLater, publish
from testsvc.models import Effect, Widget


def on_widget_counted(event):
    """Add the amount to the widget; fail while it is frozen; optionally dawdle, echo, lose the
    database connection once or ask to be retried once (while the file named by
    `dropConnectionOnce` / `retryLaterOnce` exists)."""
    flag = event.data.get("dropConnectionOnce")
    if flag and os.path.exists(flag):
        os.unlink(flag)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    flag = event.data.get("retryLaterOnce")
    if flag and os.path.exists(flag):
        os.unlink(flag)
        raise RetryLater("the mail server is down")
    widget, _ = Widget.objects.get_or_create(name=event.data["name"])
    if widget.frozen:
        raise RuntimeError(f"widget {widget.name} is frozen")
    if event.data.get("sleep"):
        time.sleep(event.data["sleep"])
    Widget.objects.filter(pk=widget.pk).update(count=F("count") + event.data["amount"])
    Effect.objects.create(event_id=event.id, name=widget.name, key=event.key, seq=event.data.get("seq"))
    if event.data.get("echo"):
        publish(
            event_type="widget-echoed", key=event.key, data={"name": widget.name, "sourceEventId": event.id}
        )


HANDLERS: dict = {"widget-counted": on_widget_counted}
