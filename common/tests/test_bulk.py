"""common.bulk: one statement writes each object's own values (PostgreSQL: UPDATE … FROM VALUES)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.bulk import bulk_update
from testsvc.models import Widget

pytestmark = pytest.mark.django_db


def test_each_object_gets_its_own_values_in_one_statement():
    widgets = [Widget.objects.create(name=f"w{n}") for n in range(4)]
    untouched = Widget.objects.create(name="untouched", count=7)
    for n, widget in enumerate(widgets):
        widget.count, widget.frozen = n * 10, n % 2 == 1
        widget.name = "not written"  # a field not named is left as stored

    with CaptureQueriesContext(connection) as queries:
        bulk_update(widgets, ["count", "frozen"])

    if connection.vendor == "postgresql":
        sql = queries[0]["sql"].upper()
        assert len(queries) == 1 and "VALUES" in sql and "CASE" not in sql  # not Django's CASE WHEN
    rows = {w.name: (w.count, w.frozen) for w in Widget.objects.all()}
    assert rows == {
        "w0": (0, False),
        "w1": (10, True),
        "w2": (20, False),
        "w3": (30, True),
        "untouched": (7, False),
    }
    assert untouched.count == 7


def test_nothing_to_write_runs_no_statement():
    with CaptureQueriesContext(connection) as queries:
        bulk_update([], ["count"])
    assert len(queries) == 0
