"""On PostgreSQL, index `search` (UPPER(name|description) LIKE '%term%') with trigrams.

Django's icontains on PostgreSQL compares UPPER(column::text), so the GIN indexes are on
that expression. Without permission to create the pg_trgm extension the migration logs a
warning and leaves search unindexed; SQLite needs nothing.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "product_name_trgm_idx": "name",
    "product_description_trgm_idx": "description",
}


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as error:
            logger.warning("pg_trgm unavailable: product search stays unindexed", extra={"error": str(error)})
            return
        for name, column in INDEXES.items():
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "products_product" '
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
