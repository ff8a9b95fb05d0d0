"""The message events of the personal channel: exactly the contract's five kinds. In a group bigger than the
contract allows, a message's events go once to the chat's own channel instead (chats.events.CHAT), and reads
only to the reader (chats.selectors.read_audience)."""

from __future__ import annotations

from typing import Any

import orjson

from application.shapes import Nested, Shape
from centrifugo.events import PERSONAL, EventKind
from chats.events import CHAT
from messages.selectors import read_ids_json
from messages.shapes import MessageShape, ReadAllShape


class MessagePayload(Shape):
    """`{"message": <the message as GET /api/message/{id}/ returns it>}`."""

    message = Nested(MessageShape)


class ReadAllPayload(Shape):
    """`{"message": {"chat", "user", "messages"}}` (the contract names the object `message`)."""

    message = Nested(ReadAllShape)


MESSAGE_CREATE = EventKind(
    "create",
    PERSONAL,
    MessagePayload,
    ("message_create", "messages_forward"),
    "A message was sent (or forwarded) to a chat of the user.",
    chat_family=CHAT,
)
MESSAGE_UPDATE = EventKind(
    "update",
    PERSONAL,
    MessagePayload,
    (
        "message_update",
        "message_moderate_update",
        "message_react",
        "reaction_moderate_delete",
        "message_pin",
        "message_moderate_unpin",
    ),
    "A message changed: its text (by its sender, or a moderator), its reactions, or its pin.",
    chat_family=CHAT,
)
MESSAGE_DELETE = EventKind(
    "delete",
    PERSONAL,
    MessagePayload,
    ("message_delete", "message_moderate_delete"),
    "A message was deleted; the payload is the message as it was.",
    chat_family=CHAT,
)
MESSAGE_READ = EventKind(
    "read",
    PERSONAL,
    MessagePayload,
    ("message_read",),
    "A member read a message (and everything before it); `was_read_by` includes them now. In a big group, to the "
    "reader alone.",
)


def _read_all_ids(data: dict[str, Any], deferred: dict[str, Any]) -> dict[str, Any]:
    """The relay's step: the ids the read passed (`deferred`: its seq range), written by PostgreSQL and carried to
    Centrifugo as they are. A message deleted since is left out (its `delete` event follows)."""
    read = data["message"]
    ids = read_ids_json(chat_id=read["chat"], user_id=read["user"], **deferred)
    return {**data, "message": {**read, "messages": orjson.Fragment(ids)}}


MESSAGES_READ_ALL = EventKind(
    "read_all",
    PERSONAL,
    ReadAllPayload,
    ("messages_read_all",),
    "A member read every message of a chat; `messages` lists the others' messages that became read. In a big "
    "group, to the reader alone.",
    complete=_read_all_ids,
)
