"""Store the outbox's payloads uncompressed (STORAGE EXTERNAL: out of line when large, never compressed).

A row lives for milliseconds (the relay deletes it once Centrifugo has it), so compressing it buys nothing, and
PostgreSQL's default (pglz) compression of a large payload cost more than the rest of the request: a read_all's
10,000 message ids (400 KB) took 12 ms to insert compressed, 3.5 ms uncompressed.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("centrifugo", "0002_outbox_notify_trigger")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE centrifugo_outboxevent ALTER COLUMN data SET STORAGE EXTERNAL, "
            "ALTER COLUMN channels SET STORAGE EXTERNAL",
            "ALTER TABLE centrifugo_outboxevent ALTER COLUMN data SET STORAGE EXTENDED, "
            "ALTER COLUMN channels SET STORAGE EXTENDED",
            elidable=False,
        )
    ]
