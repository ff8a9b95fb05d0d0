"""Validation of uploaded files by their content (not their names).

The storage issue hardens these (pixel limits, re-encoding, audio magic bytes); callers rely only on the
signatures: each takes an uploaded file and returns the file to store, or raises a DRF ValidationError.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from rest_framework.exceptions import ValidationError


def _check_size(upload: UploadedFile, limit: int) -> None:
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)})


def clean_image(upload: UploadedFile) -> UploadedFile:
    _check_size(upload, settings.CONSTANTS.AVATAR_MAX_SIZE)
    try:
        with Image.open(upload) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("Upload a valid image.")) from exc
    upload.seek(0)
    return upload


def clean_voice(upload: UploadedFile) -> UploadedFile:
    _check_size(upload, settings.CONSTANTS.VOICE_MAX_SIZE)
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if not (content_type.startswith("audio/") or content_type in {"video/webm", "application/ogg"}):
        raise ValidationError(_("The voice message must be an audio file."))
    return upload


def clean_attachment(upload: UploadedFile) -> UploadedFile:
    _check_size(upload, settings.CONSTANTS.ATTACHMENT_MAX_SIZE)
    return upload
