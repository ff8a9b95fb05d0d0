"""Serializer fields for uploads, as the SPA clients send them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from uploads.validators import clean_image

# What FormData carries for "no file" in the clients seen: an empty value, or the strings of null/undefined.
EMPTY_FORM_VALUES = ("", "null", "undefined")


class OptionalFileField(serializers.FileField):
    """An optional upload; `null` or an empty multipart value means "none" (for an avatar: remove it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if isinstance(data, str) and data in EMPTY_FORM_VALUES:
            return True, None
        return super().validate_empty_values(data)


class ImageUploadField(OptionalFileField):
    """An avatar or picture: checked by content and re-encoded by `clean_image`, so the value is the file to store
    (metadata stripped, downscaled) and a bad file is a 400 on this field."""

    def to_internal_value(self, data: Any) -> Any:
        return clean_image(super().to_internal_value(data))
