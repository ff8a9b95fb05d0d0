"""A message as the API shows it (REST responses and the personal channel's events), and the rows it is
rendered from (built by messages.selectors)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from application.shapes import UUID, DateTime, FileURL, Integer, ListOf, Nested, Rendered, Shape, Text
from users.models import User
from users.shapes import UserRow, UserShape


class FileShape(Shape):
    """A file attached to a message."""

    schema_name = "MessageFile"

    item = FileURL(help_text="The file's absolute URL")
    name = Text(help_text="The name the file was uploaded under (the URL's is not it), to show and to save it by")
    thumbnail = FileURL(null=True, help_text="Images: a preview at most 320 px a side (null for other files)")
    width = Integer(null=True, help_text="Images: the width as displayed, in pixels (null for other files)")
    height = Integer(null=True, help_text="Images: the height as displayed, in pixels")


class ReplyShape(Shape):
    """The message a reply points at, in short."""

    schema_name = "Reply"

    id = UUID()
    text = Text(null=True)
    voice = FileURL(null=True)
    sender = Nested(UserShape)
    created_at = DateTime()


class ForwardShape(Shape):
    """Where a forwarded message came from."""

    schema_name = "Forward"

    sender = Nested(UserShape, null=True, help_text="The original sender (null when their account is gone)")
    chat = UUID(null=True, help_text="The original chat, shown to its members only (null for everyone else)")
    created_at = DateTime(help_text="When the original was sent")


class ReactionShape(Shape):
    """One emoji on a message: how many reacted with it and who (the same for every viewer)."""

    schema_name = "Reaction"

    emoji = Text(help_text="One emoji")
    count = Integer()
    users = ListOf(UUID(), help_text="Who reacted with it, earliest first")


class MessageShape(Shape):
    """The contract's message. `was_read_by`: the members other than the sender whose read pointer reaches the
    message, the same for every viewer (so one payload serves all); so are `reactions` (no "mine" flag: a client
    finds its own id in `users`)."""

    schema_name = "Message"

    id = UUID()
    text = Text(null=True)
    voice = FileURL(null=True, help_text="A voice recording's absolute URL")
    chat = UUID(source="chat_id")
    sender = Nested(UserShape)
    files = Nested(FileShape, many=True)
    was_read_by = Nested(UserShape, many=True)
    reply_to = Nested(ReplyShape, null=True)
    forwarded_from = Nested(ForwardShape, null=True, help_text="Set on forwarded messages")
    mentions = ListOf(UUID(), help_text="The members the text names as @username")
    reactions = Nested(ReactionShape, many=True, help_text="One entry per emoji, in the order they were first used")
    pinned_at = DateTime(null=True, help_text="When the message was pinned in its chat; null when it is not")
    pinned_by = UUID(null=True, help_text="Who pinned it")
    updated_at = DateTime()
    created_at = DateTime()


class ReadAllShape(Shape):
    """What `read_all` marked read, as its event tells it: the chat, the reader, and the messages (others', oldest
    first)."""

    schema_name = "ReadAll"

    chat = UUID()
    user = UUID()
    messages = ListOf(UUID())


class ReadAllResultShape(Shape):
    """The answer to `POST /api/messages/read_all/`: the ids are in the `read_all` event only (there may be 10,000;
    the relay lists them after the request, docs/api-chats.md)."""

    schema_name = "ReadAllResult"

    chat = UUID()
    user = UUID()
    count = Integer(help_text="How many messages became read (others', in this chat)")


@dataclass(slots=True)
class FileRow:
    item: str  # stored names
    name: str  # as uploaded
    thumbnail: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class ForwardRow:
    sender: UserRow | User | None
    source_chat: uuid.UUID | None  # not shown as it is: `chat` is it for the members of that chat, None otherwise
    created_at: datetime.datetime
    chat: uuid.UUID | None = None


@dataclass(slots=True)
class ReactionRow:
    emoji: str
    count: int
    users: list[str]


@dataclass(slots=True)
class ReplyRow:
    id: uuid.UUID
    text: str | None
    voice: str | None
    sender: UserRow | User
    created_at: datetime.datetime


@dataclass(slots=True)
class MessageRow:
    """A message as MessageShape reads it. `seq` and `sender_id` are not shown: readers and cursors use them."""

    id: uuid.UUID
    chat_id: uuid.UUID
    seq: int
    sender: UserRow | User
    text: str | None
    voice: str | None  # the stored name
    files: list[FileRow]
    reply_to: ReplyRow | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    was_read_by: Rendered | list[UserRow | User] = field(default_factory=list)
    forwarded_from: ForwardRow | None = None
    mentions: list[uuid.UUID] = field(default_factory=list)
    reactions: list[ReactionRow] = field(default_factory=list)
    pinned_at: datetime.datetime | None = None
    pinned_by: uuid.UUID | None = None

    @property
    def sender_id(self) -> uuid.UUID:
        return self.sender.id


@dataclass(slots=True)
class ReadAllRow:
    chat: uuid.UUID
    user: uuid.UUID
    messages: Rendered  # the ids' JSON array (there may be 10,000: PostgreSQL writes it, in the relay)


@dataclass(slots=True)
class ReadAllResultRow:
    chat: uuid.UUID
    user: uuid.UUID
    count: int


class SearchHitShape(Shape):
    """A message found by a search, with the matching part of its text."""

    schema_name = "SearchHit"

    message = Nested(MessageShape)
    snippet = Text(
        help_text="Up to two fragments of the text around the matches, as HTML: the text escaped, the matches in "
        "<mark>…</mark> (the only tags)"
    )
