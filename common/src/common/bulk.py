"""Bulk writes the hot paths share.

Django's `bulk_update` builds one `CASE WHEN` per field and row and compiles it in Python:
half of a saga worker's CPU in a profile. On PostgreSQL one `UPDATE … FROM (VALUES …)`
(django-pgbulk) does the same; other databases (SQLite, the embedded default) keep Django's.
`insert_sql` is the multi-row INSERT of the outbox and of order intake, its text built once
per shape instead of compiled by the ORM on every call.
"""

from collections.abc import Sequence
from functools import cache

import pgbulk
from django.db import connection, connections, models, router


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


def insert_sql(model: type[models.Model], fields: tuple, rows: int, *, returning: bool = False) -> str:
    """Return one INSERT of `rows` rows of `fields` into `model`'s table; values go as parameters, row by row.

    With `returning`, the primary keys come back (RETURNING, where the database has it).
    """
    return _insert_sql(connection.vendor, model, fields, rows, returning)


@cache
def _insert_sql(vendor: str, model, fields: tuple, rows: int, returning: bool) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    back = returning and connection.features.can_return_rows_from_bulk_insert
    tail = f" RETURNING {quote(model._meta.pk.column)}" if back else ""
    # Names from the model's metadata, quoted by the backend; every value is a parameter.
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)}{tail}"  # noqa: S608  # nosec B608
