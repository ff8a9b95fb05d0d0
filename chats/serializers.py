from __future__ import annotations

import json
from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chats.models import Chat
from messages.serializers import MessageSerializer, annotated_user, message_data
from uploads.fields import ImageUploadField
from users.json_sql import JSONText, MemberTexts
from users.serializers import UserDicts, UserSerializer


class ChatSerializer(serializers.ModelSerializer):
    """The contract's chat, as seen by `context["request"].user` (or `context["viewer"]`).

    Needs the chat from chats.selectors (memberships with users prefetched, the viewer's unread count annotated):
    members, a private chat's title and avatar (the other member's), and `last_message.was_read_by` all come from
    the prefetched memberships, so a page of chats costs no query per row.
    """

    title = serializers.SerializerMethodField()
    avatar = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    creator = UserSerializer(read_only=True)
    last_message = serializers.SerializerMethodField()
    unread_messages_count = serializers.SerializerMethodField()

    class Meta:
        model = Chat
        fields = [
            "id",
            "title",
            "members",
            "creator",
            "avatar",
            "created_at",
            "updated_at",
            "is_private",
            "last_message",
            "unread_messages_count",
        ]

    def _viewer_id(self) -> Any:
        viewer = self.context.get("viewer") or self.context["request"].user
        return viewer.pk

    def _member_rows(self, chat: Chat) -> list[tuple]:
        """MEMBER_COLUMNS rows (chats.selectors.chat_members_attach; loaded here if the caller did not)."""
        rows = getattr(chat, "member_rows", None)
        if rows is None:
            from chats.selectors import chat_members_attach

            chat_members_attach([chat], UserDicts.of(self.context))
            rows = chat.member_rows
        return rows

    def to_representation(self, chat: Chat) -> dict[str, Any]:
        """Built directly from the member rows and the response's UserDicts (tests pin it against the declared
        fields): each user is serialized once per response, members and readers reuse the same dicts."""
        users = UserDicts.of(self.context)
        rows = self._member_rows(chat)
        viewer_id = self._viewer_id()
        members: list[dict[str, Any]] | JSONText
        if isinstance(rows, MemberTexts):
            # PostgreSQL wrote the users (users.json_sql): ids are text, only the other member is parsed.
            members, viewer_id = JSONText.array([row[3] for row in rows]), str(viewer_id)
            other_row = next((row for row in rows if row[2] != viewer_id), None) if chat.is_private else None
            other = orjson.loads(other_row[3]) if other_row is not None else None
        else:
            members = [users.from_values(*row[2:]) for row in rows]
            pairs = zip(rows, members, strict=True)
            other = next((data for row, data in pairs if row[2] != viewer_id), None) if chat.is_private else None
        title, avatar = chat.title, users.file_url(chat.avatar.storage, chat.avatar.name)
        if chat.is_private:
            if other is not None:
                title = f"{other['first_name']} {other['last_name']}".strip() or other["username"]
            avatar = other["avatar"] if other is not None else None
        unread = getattr(chat, "my_unread_count", None)
        if unread is None:
            unread = next((row[1] for row in rows if row[2] == viewer_id), 0)
        return {
            "id": str(chat.pk),
            "title": title,
            "members": members,
            "creator": annotated_user(users, chat, "creator"),
            "avatar": avatar,
            "created_at": users.datetime(chat.created_at),
            "updated_at": users.datetime(chat.updated_at),
            "is_private": chat.is_private,
            "last_message": None
            if chat.last_message_id is None
            else message_data(chat.last_message, self.context, {chat.pk: rows}),
            "unread_messages_count": unread,
        }

    # The fields below document the shape (OpenAPI); to_representation above produces it.

    def get_title(self, chat: Chat) -> str:
        return self.to_representation(chat)["title"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar(self, chat: Chat) -> str | None:
        return self.to_representation(chat)["avatar"]

    @extend_schema_field(UserSerializer(many=True))
    def get_members(self, chat: Chat) -> list[dict[str, Any]]:
        return self.to_representation(chat)["members"]

    @extend_schema_field(MessageSerializer(allow_null=True))
    def get_last_message(self, chat: Chat) -> dict[str, Any] | None:
        return self.to_representation(chat)["last_message"]

    @extend_schema_field(serializers.IntegerField())
    def get_unread_messages_count(self, chat: Chat) -> int:
        return self.to_representation(chat)["unread_messages_count"]


class MembersField(serializers.ListField):
    """`members` as a JSON list, repeated multipart fields, or one multipart field holding a JSON list or
    comma-separated ids (all seen from clients)."""

    child = serializers.CharField()

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str):
            raw = data[0].strip()
            if raw.startswith("["):
                try:
                    data = json.loads(raw)
                except ValueError as exc:
                    raise serializers.ValidationError(_("Expected a list of user ids.")) from exc
            elif "," in raw:
                data = [part.strip() for part in raw.split(",") if part.strip()]
            elif not raw and hasattr(getattr(self.root, "initial_data", None), "getlist"):
                data = []  # an empty form field means no members; a JSON [""] is an invalid id (below)
        return super().to_internal_value(data)


def validate_title(value: str | None) -> str:
    value = (value or "").strip()
    limit = settings.CONSTANTS.CHAT_TITLE_MAX_LENGTH
    if len(value) > limit:
        raise serializers.ValidationError(
            _("Ensure this field has no more than %(limit)d characters.") % {"limit": limit}
        )
    return value


class ChatCreateSerializer(serializers.Serializer):
    """Input of POST /api/chats/. Unknown fields (clients send `creator`) are ignored: the creator is the caller."""

    members = MembersField(required=False, default=list)
    is_private = serializers.BooleanField(required=False, default=False)
    title = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    avatar = ImageUploadField()
    text = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)

    def validate_title(self, value: str | None) -> str:
        return validate_title(value)

    def validate_text(self, value: str | None) -> str | None:
        from messages.serializers import validate_message_text

        return validate_message_text(value)


class ChatUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    avatar = ImageUploadField()
    members = MembersField(required=False)

    def validate_title(self, value: str | None) -> str:
        return validate_title(value)


class MemberAddSerializer(serializers.Serializer):
    """POST /api/chat/{id}/members/: one `user` id, or `members` (a list)."""

    user = serializers.CharField(required=False)
    members = MembersField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ids = list(attrs.get("members") or [])
        if attrs.get("user"):
            ids.append(attrs["user"])
        if not ids:
            raise serializers.ValidationError({"user": [_("This field is required.")]})
        return {"members": ids}
