"""Input of the chat endpoints (their output is conversations.shapes.ChatShape)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from messages.serializers import validate_message_text
from uploads.fields import ImageUploadField


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


class MuteSerializer(serializers.Serializer):
    until = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the mute ends (in the future); left out or null: until unmuted"
    )
