# The sender's own index becomes (sender, chat): it still serves a user's messages, and it answers whether a user
# sent any in a chat (the message list's `?search=` by sender). Built concurrently: sends go on meanwhile.

import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chat_messages", "0009_mentions"),
        ("chats", "0004_membership_skipped_after"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="message",
            index=models.Index(fields=["sender", "chat"], name="message_sender_chat_idx"),
        ),
        migrations.AlterField(
            model_name="message",
            name="sender",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
