"""Trigram indexes for user search on PostgreSQL.

`GET /api/users/?search=` filters with `icontains` on three columns, which PostgreSQL runs as
`UPPER(col::text) LIKE UPPER('%term%')`: without these indexes that (and the page's COUNT) is a sequential scan of
every user. pg_trgm GIN indexes on exactly those expressions turn it into a bitmap OR of three index scans.
SQLite (the `make run` default) has no equivalent and is left as it is.
"""

from django.db import migrations

COLUMNS = ("username", "first_name", "last_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS users_user_{column}_trgm "
            f"ON users_user USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS users_user_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("users", "0002_external_identity")]

    operations = [migrations.RunPython(create, drop)]
