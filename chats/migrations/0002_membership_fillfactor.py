"""Room for HOT updates in memberships.

A message to a group adds one to every other member's `unread_count`, and reading moves `last_read_seq`: neither
column is indexed, so PostgreSQL can rewrite such a row inside its own page without touching the table's four
indexes (a heap-only tuple update) — but only when the page has free space. With the default fill factor of 100
pages are packed full and every update also inserted a new entry into each index (1,000 members: 4,000 index
entries per message). 80 keeps a fifth of each page free for those updates. Existing pages get the space when the
table is next rewritten (VACUUM FULL, CLUSTER); new ones at once.
"""

from django.db import migrations

FILLFACTOR = 80


class Migration(migrations.Migration):
    dependencies = [("chats", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE chats_membership SET (fillfactor = {FILLFACTOR})",
            "ALTER TABLE chats_membership RESET (fillfactor)",
        )
    ]
