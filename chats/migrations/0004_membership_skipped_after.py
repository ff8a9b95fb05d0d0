"""Unread counts derived from the read pointer: `chat.last_seq - last_read_seq - skipped_after`.

`skipped_after` counts the seqs after a member's pointer that are not unread for them (their own messages and
deleted ones). It is computed from the stored counter it replaces, which every write kept exact, so the derived
count equals the stored one; then the counter goes (a send no longer writes every member's row).
"""

from django.db import migrations, models

FORWARD = """
UPDATE chats_membership AS m SET skipped_after = c.last_seq - m.last_read_seq - m.unread_count
FROM chats_chat AS c WHERE c.id = m.chat_id
"""
BACKWARD = """
UPDATE chats_membership AS m SET unread_count = c.last_seq - m.last_read_seq - m.skipped_after
FROM chats_chat AS c WHERE c.id = m.chat_id
"""


class Migration(migrations.Migration):
    dependencies = [("chats", "0003_membership_mute")]

    operations = [
        migrations.AddField(model_name="membership", name="skipped_after", field=models.BigIntegerField(default=0)),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RemoveField(model_name="membership", name="unread_count"),
    ]
