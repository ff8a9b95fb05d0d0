"""Building blocks for chat and message tests (services, not HTTP, so each test sets up in a few lines)."""

from __future__ import annotations

import io
from typing import Any

import orjson
from django.core.files.uploadedfile import SimpleUploadedFile

from centrifugo.events import delivered_data
from centrifugo.models import OutboxEvent
from chats.models import Chat
from chats.services import chat_create
from messages.models import Message
from messages.services import message_create
from users.models import User


def group(creator: User, *members: User, title: str = "Group") -> Chat:
    return chat_create(creator=creator, members=[m.pk for m in members], title=title).chat


def private(a: User, b: User) -> Chat:
    return chat_create(creator=a, members=[b.pk], is_private=True).chat


def send(sender: User, chat: Chat, text: str = "hello", **kwargs: Any) -> Message:
    row = message_create(sender=sender, chat_id=chat.pk, text=text, **kwargs).row
    assert row is not None
    return Message.objects.get(pk=row.id)


def ogg_upload(name: str = "voice.ogg") -> SimpleUploadedFile:
    # An Ogg page header followed by an Opus identification header: what a browser recording starts with.
    header = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13" + b"OpusHead\x01\x01" + b"\x00" * 40
    return SimpleUploadedFile(name, header + b"\x00" * 200, content_type="audio/ogg")


def text_upload(name: str = "notes.txt", content: bytes = b"some notes") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def png_upload(name: str = "avatar.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def outbox() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.order_by("id"))


def last_event() -> OutboxEvent:
    return OutboxEvent.objects.order_by("-id").first()


def delivered(row: OutboxEvent) -> dict[str, Any]:
    """The data a subscriber receives for an outbox row: completed as the relay does it, through JSON."""
    return orjson.loads(orjson.dumps(delivered_data(row.data, row.deferred)))
