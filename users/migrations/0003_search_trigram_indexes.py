"""Trigram indexes for user search.

`GET /api/users/?search=` filters with `icontains` on three columns, which PostgreSQL runs as
`UPPER(col::text) LIKE UPPER('%term%')`: without these indexes that (and the page's COUNT) is a sequential scan of
every user. pg_trgm GIN indexes on exactly those expressions turn it into a bitmap OR of three index scans.
"""

from django.db import migrations

COLUMNS = ("username", "first_name", "last_name")

CREATE = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX IF NOT EXISTS users_user_{column}_trgm ON users_user USING gin (UPPER({column}::text) gin_trgm_ops)"
    for column in COLUMNS
]
DROP = [f"DROP INDEX IF EXISTS users_user_{column}_trgm" for column in COLUMNS]


class Migration(migrations.Migration):
    dependencies = [("users", "0002_external_identity")]

    operations = [migrations.RunSQL(CREATE, DROP)]
