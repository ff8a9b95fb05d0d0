"""A chat as the API shows it to one of its members (REST responses), and the row it is rendered from."""

from __future__ import annotations

from application.shapes import UUID, Boolean, DateTime, FileURL, Integer, Nested, Shape, Text
from messages.shapes import MessageShape
from users.shapes import UserShape


class ChatShape(Shape):
    """The contract's chat, as one member sees it: a private chat's title and avatar are the other member's, and
    `unread_messages_count` is the viewer's."""

    schema_name = "Chat"

    id = UUID()
    title = Text()
    members = Nested(UserShape, many=True)
    creator = Nested(UserShape, null=True)
    avatar = FileURL(null=True)
    created_at = DateTime()
    updated_at = DateTime()
    is_private = Boolean()
    last_message = Nested(MessageShape, null=True)
    unread_messages_count = Integer()
    is_muted = Boolean(help_text="Muted by me: its unread count stays, my total (GET /api/chats/unread/) leaves it out")
    muted_until = DateTime(null=True, help_text="When my mute ends; null when muted until I unmute, or not muted")
    unread_mentions_count = Integer(help_text="Messages after my read pointer that mention me")
    pinned_message = Nested(MessageShape, null=True, help_text="The latest pinned message (GET /api/chat/{id}/pins/)")
    members_count = Integer(
        help_text="How many members the chat has: all of them are in `members`, except in a group of more than 100 "
        "members, whose members are listed by `GET /api/chat/{id}/members/` (docs/api-chats.md)"
    )
    channel = Text(
        help_text="The Centrifugo channel that carries this chat's message events to you: your personal channel "
        "(`<your user id>`), or, in a group of more than 100 members, the chat's own `chat:<chat id>` — subscribe "
        "to it with a token from `/api/centrifugo/subscribe/` (docs/realtime.md)"
    )
