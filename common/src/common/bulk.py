"""Bulk writes the batch handlers share.

Django's `bulk_update` builds one `CASE WHEN` per field and row and compiles it in Python:
half of a saga worker's CPU in a profile. On PostgreSQL one `UPDATE … FROM (VALUES …)`
(django-pgbulk) does the same; other databases (SQLite, the embedded default) keep Django's.
"""

from collections.abc import Sequence

import pgbulk
from django.db import connections, models, router


def bulk_update(objs: Sequence[models.Model], fields: list[str]) -> None:
    """Write `fields` of every object in `objs` (all of one model) in one statement."""
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    if connections[alias].vendor == "postgresql":
        pgbulk.update(model.objects.using(alias), objs, fields)
    else:
        model.objects.using(alias).bulk_update(objs, fields)
