from __future__ import annotations

import bisect
from itertools import accumulate
from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messages.models import Message, MessageFile
from messages.renderers import dumps
from uploads import validators
from uploads.fields import EMPTY_FORM_VALUES, OptionalFileField
from users import json_sql
from users.json_sql import JSONText, MemberTexts
from users.serializers import UserDicts, UserSerializer


def users_data(context: dict[str, Any], users: Any) -> list[dict[str, Any]]:
    """Serialized users (model instances), each computed once per response (see UserDicts)."""
    cache = UserDicts.of(context)
    return [cache.from_user(u) for u in users]


def as_json(data: Any) -> Any:
    """Plain JSON values, exactly as the REST renderer would write them (for outbox events and comparisons)."""
    return orjson.loads(dumps(data))


class MessageFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageFile
        fields = ["item"]


class ReplySerializer(serializers.ModelSerializer):
    """The compact message a reply points at."""

    sender = UserSerializer(read_only=True)
    voice = serializers.FileField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "text", "voice", "sender", "created_at"]


class MessageSerializer(serializers.ModelSerializer):
    """The contract's message. `was_read_by` comes from `context["readers"]` (messages.selectors.message_readers)
    — the members (other than the sender) whose read pointer reaches the message — so a page costs no query
    per row."""

    chat = serializers.UUIDField(source="chat_id", read_only=True)
    sender = UserSerializer(read_only=True)
    voice = serializers.FileField(read_only=True)
    files = MessageFileSerializer(many=True, read_only=True)
    was_read_by = serializers.SerializerMethodField()
    reply_to = ReplySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "text",
            "voice",
            "chat",
            "sender",
            "files",
            "was_read_by",
            "reply_to",
            "updated_at",
            "created_at",
        ]

    def to_representation(self, message: Message) -> dict[str, Any]:
        return message_data(message, self.context)

    @extend_schema_field(UserSerializer(many=True))
    def get_was_read_by(self, message: Message) -> list[dict[str, Any]]:
        return was_read_by(message, self.context, self.context.get("readers", {}))


def message_data(message: Message, context: dict[str, Any], readers: Any = None) -> dict[str, Any]:
    """MessageSerializer's output built directly (tests pin it against the DRF fields declared above): in a large
    group a page repeats ~1,000 readers per message, and the per-field machinery dominated the time. Users come
    from the response's UserDicts; `readers` defaults to `context["readers"]` (messages.selectors)."""
    users = UserDicts.of(context)
    voice = message.voice
    reply = message.reply_to if message.reply_to_id is not None else None
    return {
        "id": str(message.pk),
        "text": message.text,
        "voice": users.file_url(voice.storage, voice.name),
        "chat": str(message.chat_id),
        "sender": annotated_user(users, message, "sender"),
        "files": [{"item": users.file_url(_FILES, name)} for name in _file_names(message)],
        "was_read_by": was_read_by(message, context, context.get("readers", {}) if readers is None else readers),
        "reply_to": None
        if reply is None
        else {
            "id": str(reply.pk),
            "text": reply.text,
            "voice": users.file_url(reply.voice.storage, reply.voice.name),
            "sender": annotated_user(users, message, "reply_sender", reply, "sender"),
            "created_at": users.datetime(reply.created_at),
        },
        "updated_at": users.datetime(message.updated_at),
        "created_at": users.datetime(message.created_at),
    }


_FILES = MessageFile._meta.get_field("item").storage


def annotated_user(users: UserDicts, row: Any, annotation: str, owner: Any = None, field: str = "") -> Any:
    """A user of a row (a message, a chat): JSON text where the row's query had PostgreSQL write it (the
    `<annotation>_json` and `<annotation>_unsafe_avatar` annotations of users.json_sql columns), else the
    response's user dict from the related instance (`owner.field`, by default `row.<annotation>`)."""
    text = getattr(row, f"{annotation}_json", None)
    if text is None:
        return users.from_user(getattr(owner or row, field or annotation))
    unsafe_avatar = getattr(row, f"{annotation}_unsafe_avatar")
    if unsafe_avatar is not None:
        text = json_sql.fix_avatar(users, text, unsafe_avatar)
    return JSONText(text.encode())


def _file_names(message: Message) -> list[str]:
    names = getattr(message, "file_names", None)
    return names if names is not None else [f.item.name for f in message.files.all()]


def was_read_by(message: Message, context: dict[str, Any], readers: Any) -> list[dict[str, Any]] | JSONText:
    """Members other than the sender whose pointer reaches the message. `readers` maps chat ids to membership
    rows in join order (chats.selectors.member_rows)."""
    index = context.setdefault("reader_index", {})
    chat_id = message.chat_id
    if chat_id not in index:
        # Once per chat and response: readers sorted by pointer, highest first (stable: join order among equals).
        chat_readers = readers.get(chat_id, ())
        rows = sorted(chat_readers, key=lambda row: -row[0])
        index[chat_id] = _ReaderTexts(rows) if isinstance(chat_readers, MemberTexts) else _Readers(rows, context)
    return index[chat_id].reaching(message)


class _Readers:
    """Readers as the response's user dicts."""

    def __init__(self, rows: list[tuple], context: dict[str, Any]) -> None:
        users = UserDicts.of(context)
        # Negated pointers ascend, for bisect: the readers at or past a message are a prefix.
        self.pointers = [-row[0] for row in rows]
        self.entries = [(row[2], users.from_values(*row[2:])) for row in rows]

    def reaching(self, message: Message) -> list[dict[str, Any]]:
        count = bisect.bisect_right(self.pointers, -message.seq)
        sender = message.sender_id
        return [data for user, data in self.entries[:count] if user != sender]


class _ReaderTexts:
    """Readers as JSON text written by PostgreSQL (users.json_sql): one joined array body, sliced per message."""

    def __init__(self, rows: list[tuple]) -> None:
        self.pointers = [-row[0] for row in rows]
        self.position = {row[2]: i for i, row in enumerate(rows)}
        items = [row[3].encode() for row in rows]
        self.joined = memoryview(b",".join(items))
        # ends[i]: where item i ends in `joined` (a comma or the end follows).
        self.ends = [end - 1 for end in accumulate(len(item) + 1 for item in items)]

    def reaching(self, message: Message) -> JSONText:
        count = bisect.bisect_right(self.pointers, -message.seq)
        if count == 0:
            return JSONText(b"[]")
        end, joined, ends = self.ends[count - 1], self.joined, self.ends
        sender = self.position.get(str(message.sender_id)) if message.sender_id is not None else None
        if sender is None or sender >= count:
            parts = (joined[:end],)
        elif sender == 0:
            parts = (joined[ends[0] + 1 : end],) if count > 1 else ()
        else:
            # The items before the sender, then the comma after it and the items up to `count`.
            parts = (joined[: ends[sender - 1]], joined[ends[sender] : end])
        return JSONText(b"".join((b"[", *parts, b"]")))


class FilesField(serializers.ListField):
    """Repeated `files` parts; empty values are skipped rather than refused."""

    child = serializers.FileField()

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list):
            data = [item for item in data if not (isinstance(item, str) and item in EMPTY_FORM_VALUES)]
        return super().to_internal_value(data)


class MessageCreateSerializer(serializers.Serializer):
    """Input of POST /api/messages/: JSON or multipart, `files` repeated once per file."""

    chat = serializers.CharField()
    text = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    voice = OptionalFileField()
    files = FilesField(required=False, allow_empty=True)
    reply_to = serializers.CharField(required=False, allow_null=True, allow_blank=True)

    def validate_reply_to(self, value: str | None) -> str | None:
        return None if value in EMPTY_FORM_VALUES else value

    def validate_text(self, value: str | None) -> str | None:
        return validate_message_text(value)

    def validate_voice(self, value: Any) -> Any:
        return validators.clean_voice(value) if value else None

    def validate_files(self, value: list[Any]) -> list[Any]:
        limit = settings.CONSTANTS.MESSAGE_MAX_FILES
        if len(value) > limit:
            raise serializers.ValidationError(_("At most %(limit)d files per message.") % {"limit": limit})
        return [validators.clean_attachment(upload) for upload in value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("text") or attrs.get("voice") or attrs.get("files")):
            raise serializers.ValidationError(
                {"non_field_errors": [_("A message needs text, a voice recording or files.")]}
            )
        return attrs


class MessageUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_null=True, allow_blank=True, trim_whitespace=False)

    def validate_text(self, value: str | None) -> str | None:
        return validate_message_text(value)


def validate_message_text(value: str | None) -> str | None:
    """Blank text is no text; over the limit is an error (the limit is read at request time)."""
    if value is None or not value.strip():
        return None
    limit = settings.CONSTANTS.MESSAGE_TEXT_MAX_LENGTH
    if len(value) > limit:
        raise serializers.ValidationError(
            _("Ensure this field has no more than %(limit)d characters.") % {"limit": limit}
        )
    return value


class ReadAllSerializer(serializers.Serializer):
    chat = serializers.UUIDField()
    user = serializers.UUIDField()
    messages = serializers.ListField(child=serializers.UUIDField())
