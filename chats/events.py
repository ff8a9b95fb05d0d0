"""The chat-list events of the opt-in `chats:<user id>` channel. They carry only what is the same for every member
(a private chat's title and avatar, and the unread count, differ per viewer): clients refetch
`GET /api/chat/{id}/`, or drop the chat on `chat_delete` (docs/api-chats.md)."""

from __future__ import annotations

from typing import Any

from application.shapes import UUID, Integer, ListOf, Nested, Shape
from centrifugo.events import CHATS, ChannelFamily, EventKind
from chats.selectors import is_member
from users.shapes import UserShape


def _member_of(user: Any, chat_id: str) -> bool:
    return user is not None and is_member(user, chat_id)


# A chat's own channel: the message events of a group with more members than the contract's groups have (above
# `Constants.CONTRACT_GROUP_MAX_MEMBERS`) go there once, instead of once per member's personal channel. Its
# members may subscribe (docs/realtime.md, "Big groups"); the chat's `channel` field names it.
CHAT = ChannelFamily(
    "chat",
    "chat:{chat}",
    "a big group's own channel: its message events (members only)",
    may_subscribe=_member_of,
)


class ChatRef(Shape):
    """`{"id": <chat id>}`."""

    schema_name = "ChatRef"

    id = UUID()


class ChatPayload(Shape):
    chat = Nested(ChatRef)


class ChatUpdatePayload(Shape):
    chat = Nested(ChatRef)
    members_added = ListOf(UUID())
    members_removed = ListOf(UUID())


class ChatMembersPayload(Shape):
    chat = Nested(ChatRef)
    users = ListOf(UUID(), help_text="The users who joined or left")


CHAT_CREATE = EventKind(
    "chat_create", CHATS, ChatPayload, ("chat_create",), "A chat was created with the user in it (to every member)."
)
CHAT_UPDATE = EventKind(
    "chat_update",
    CHATS,
    ChatUpdatePayload,
    ("chat_update", "chat_moderate_update"),
    "A group's title, avatar or member list changed (to the members before and after).",
)
CHAT_DELETE = EventKind(
    "chat_delete",
    CHATS,
    ChatPayload,
    ("chat_delete", "chat_moderate_delete", "conversations_forget_user"),
    "A chat was deleted with its messages (to its members).",
)
MEMBER_JOINED = EventKind(
    "member_joined",
    CHATS,
    ChatMembersPayload,
    ("chat_member_add",),
    "Users were added to a group (to every member, the new ones included).",
)
MEMBER_LEFT = EventKind(
    "member_left",
    CHATS,
    ChatMembersPayload,
    ("chat_member_remove", "chat_leave", "conversations_forget_user"),
    "A member was removed, left, or deleted their account (to the members before, the one who left included).",
)


class TypingPayload(Shape):
    chat = Nested(ChatRef)
    user = Nested(UserShape, help_text="Who is typing")
    expires_in = Integer(help_text="Seconds after which the indicator goes unless another `typing` arrives")


TYPING = EventKind(
    "typing",
    CHATS,
    TypingPayload,
    ("chat_typing",),
    "A member is typing in a chat (to the other members; at most one per user and chat every 3 s).",
    durable=False,
)


class UnreadTotalsShape(Shape):
    """A member's badge (GET /api/chats/unread/)."""

    schema_name = "UnreadTotals"

    unread_messages = Integer(help_text="Unread messages in my chats that are not muted")
    unread_chats = Integer(help_text="My chats that are not muted and have unread messages")


class UnreadPayload(Shape):
    chat = Nested(ChatRef, help_text="The chat whose read state or mute changed (refetch it)")
    totals = Nested(UnreadTotalsShape)


UNREAD = EventKind(
    "unread",
    CHATS,
    UnreadPayload,
    ("message_read", "messages_read_all", "chat_mute"),
    "The user's badge after their own read, mute or unmute (to them only, so every device agrees). Others' "
    "messages add to it without this event: a client adds 1 on `create` in a chat that is not muted, and refetches "
    "GET /api/chats/unread/ on chat events.",
)
