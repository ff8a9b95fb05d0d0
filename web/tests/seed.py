"""Test data written fast: a chat's history in one INSERT ... SELECT over generate_series (100,000 messages in about
a second), with the chat's counters and both members' read pointers as the API keeps them; users in bulk (the members
of a big group)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from chats.models import Chat, Membership
from messages.models import Message
from users.models import User


def seed_history(chat_id: str, senders: list[Any], count: int) -> None:
    """`count` messages "message 1" ... "message <count>", one second apart and ending now, from the senders in
    turn; everything read by everyone."""
    message = Message._meta

    def column(meta: Any, name: str) -> str:
        return connection.ops.quote_name(meta.get_field(name).column)

    start = timezone.now() - timedelta(seconds=count)
    sender_ids = [str(sender.pk) for sender in senders]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {connection.ops.quote_name(message.db_table)}
                ({column(message, "id")}, {column(message, "chat")}, {column(message, "sender")},
                 {column(message, "seq")}, {column(message, "text")}, {column(message, "created_at")},
                 {column(message, "updated_at")})
            SELECT gen_random_uuid(), %s, (%s::uuid[])[1 + g %% %s], g, 'message ' || g,
                   %s + g * interval '1 second', %s + g * interval '1 second'
            FROM generate_series(1, %s) AS g""",
            [chat_id, sender_ids, len(sender_ids), start, start, count],
        )
    last = Message.objects.get(chat_id=chat_id, seq=count)
    Chat.objects.filter(pk=chat_id).update(
        last_seq=count, message_count=count, last_message=last, last_activity_at=last.created_at
    )
    Membership.objects.filter(chat_id=chat_id).update(last_read_seq=count)


def seed_users(count: int, prefix: str = "filler") -> list[User]:
    """`count` users who never log in (no usable password: hashing one each would take seconds)."""
    return User.objects.bulk_create(
        [
            User(username=f"{prefix}{n}", first_name=prefix.capitalize(), last_name=str(n), password="!")
            for n in range(count)
        ]
    )
