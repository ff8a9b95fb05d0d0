"""The API's upload checks for Django forms (the admin), so a file set there is what the API would have stored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from rest_framework.exceptions import ValidationError

from uploads.validators import clean_image


def clean_image_upload(value: Any) -> Any:
    """A form's cleaned image field: a new upload goes through `clean_image` (checked by content, re-encoded
    without metadata, downscaled); a kept file, or False for "clear", is returned as it is."""
    if not isinstance(value, UploadedFile):
        return value
    try:
        return clean_image(value)
    except ValidationError as exc:
        raise forms.ValidationError([str(error) for error in exc.detail]) from exc
