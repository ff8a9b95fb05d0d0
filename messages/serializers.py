"""Input of the message endpoints (their output is messages.shapes.MessageShape)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.fields import empty

from uploads import validators
from uploads.fields import EMPTY_FORM_VALUES, OptionalFileField


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


class OptionalBooleanField(serializers.BooleanField):
    """A flag that may be left out, also in a form (where DRF reads a missing checkbox as false)."""

    default_empty_html = empty


class ReactionSerializer(serializers.Serializer):
    """Input of POST /api/message/{id}/reactions/."""

    emoji = serializers.CharField(max_length=64, trim_whitespace=False, help_text="Exactly one emoji, e.g. 👍")
    active = OptionalBooleanField(
        required=False, help_text="true: add it, false: remove it; left out: toggle it (add it unless it is mine)"
    )


class ForwardSerializer(serializers.Serializer):
    """Input of POST /api/messages/forward/: JSON, or a form with `messages` repeated."""

    chat = serializers.CharField(help_text="The chat to forward to (one of mine)")
    messages = serializers.ListField(
        child=serializers.CharField(),
        min_length=1,
        help_text="Ids of messages of my chats: 1 to 100 entries (a repeated id is forwarded once)",
    )
