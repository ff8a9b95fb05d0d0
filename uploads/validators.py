"""Validation of uploaded files by their content (not their names or declared types).

Each function takes an uploaded file and returns the file to store, or raises a DRF ValidationError (a 400 on the
field being validated). Nothing is written to storage here: files are stored only when the row that references
them is saved, so a refused file leaves nothing behind.

- `clean_image`: user avatars, group chat avatars, post images. A real image (Pillow decodes it fully) of a known
  format, within AVATAR_MAX_SIZE bytes and AVATAR_MAX_PIXELS pixels (decompression bombs are refused before
  decoding), re-encoded: EXIF and other metadata dropped, orientation applied, at most AVATAR_MAX_SIDE pixels a
  side, PNG/WebP kept when there is transparency, JPEG otherwise.
- `clean_voice`: an audio content type and audio magic bytes (ogg/opus, webm, mp3, wav, m4a, plus aac and flac);
  the stored name's extension is the detected format's.
- `clean_attachment`: any type within ATTACHMENT_MAX_SIZE, with a sanitized name.
"""

from __future__ import annotations

import io
import warnings
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from rest_framework.exceptions import ValidationError

from uploads.paths import display_name, sanitize_filename

# Decoders Pillow ships and that images from browsers and phones use; anything else (EPS, PSD, ICO...) is refused.
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "MPO")
JPEG_QUALITY = 85
VOICE_CONTENT_TYPES = {"video/webm", "video/ogg", "video/mp4", "application/ogg", "video/x-matroska"}
VOICE_HEADER_SIZE = 64


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


def _check_size(upload: File, limit: int) -> None:
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("The file is too large (at most %(mb)s MB).") % {"mb": _megabytes(limit)})


def _content_type(upload: File) -> str:
    return (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()


# -- images ------------------------------------------------------------------------------------------------------


def clean_image(upload: File) -> ContentFile:
    limits = settings.CONSTANTS
    _check_size(upload, limits.AVATAR_MAX_SIZE)
    invalid = ValidationError(_("Upload a valid image (JPEG, PNG, GIF or WebP)."))
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit: ours is checked explicitly, before any decoding.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=IMAGE_FORMATS) as probe:
                _check_pixels(probe.size, limits.AVATAR_MAX_PIXELS)
                probe.verify()
            upload.seek(0)
            with Image.open(upload, formats=IMAGE_FORMATS) as image:
                image.seek(0)  # animations: the first frame
                if image.format in {"JPEG", "MPO"}:
                    # Let the decoder downscale by 1/2..1/8 while decoding (still at least the final size).
                    image.draft(image.mode, (limits.AVATAR_MAX_SIDE, limits.AVATAR_MAX_SIDE))
                image.load()
                content, extension = reencode(image, limits.AVATAR_MAX_SIDE)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(limits.AVATAR_MAX_PIXELS) from exc
    except Exception as exc:  # whatever a malformed file makes a decoder raise
        raise invalid from exc
    finally:
        upload.seek(0)
    return ContentFile(content, name=sanitize_filename(upload.name, default="image", extension=extension))


def _too_many_pixels(limit: int) -> ValidationError:
    return ValidationError(_("The image is too large (at most %(mp)s megapixels).") % {"mp": f"{limit / 1e6:g}"})


def _check_pixels(size: tuple[int, int], limit: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError("empty image")
    if width * height > limit:
        raise _too_many_pixels(limit)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (image.mode == "P" and "transparency" in image.info)


def reencode(image: Image.Image, max_side: int) -> tuple[bytes, str]:
    """The image with its orientation applied, no metadata, at most `max_side` a side: PNG or WebP with
    transparency, JPEG otherwise; returns the bytes and the extension."""
    source_format = image.format
    # A color profile is kept (it is not personal data) when it still matches the converted pixels.
    icc_profile = image.info.get("icc_profile") if image.mode in {"RGB", "RGBA", "RGBX", "P"} else None
    alpha = _has_alpha(image)
    image = ImageOps.exif_transpose(image)  # applies the orientation tag; the copy has no EXIF left to save
    image = image.convert("RGBA" if alpha else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image.info = {}  # encoders fall back to info for some metadata (a JPEG comment): nothing is carried over
    buffer = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if alpha and source_format == "WEBP":
        image.save(buffer, format="WEBP", quality=JPEG_QUALITY, **options)
        extension = ".webp"
    elif alpha:
        image.save(buffer, format="PNG", optimize=True, **options)
        extension = ".png"
    else:
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **options)
        extension = ".jpg"
    return buffer.getvalue(), extension


# -- voice -------------------------------------------------------------------------------------------------------

AUDIO_TYPES = {
    ".ogg": "audio/ogg",
    ".webm": "audio/webm",
    ".mp3": "audio/mpeg",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".flac": "audio/flac",
}
_OGG_AUDIO_CODECS = (b"OpusHead", b"\x01vorbis", b"Speex   ", b"\x7fFLAC")


def audio_extension(header: bytes) -> str | None:
    """The extension of the audio format these first bytes start, or None when they start no audio format."""
    if header.startswith(b"OggS"):
        # The first page holds the codec's identification header.
        return ".ogg" if any(codec in header for codec in _OGG_AUDIO_CODECS) else None
    if header.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm"
    if header.startswith(b"RIFF") and header[8:12] == b"WAVE":
        return ".wav"
    if header[4:8] == b"ftyp":
        return ".m4a"
    if header.startswith(b"fLaC"):
        return ".flac"
    if header.startswith(b"ID3"):
        return ".mp3"
    if len(header) >= 2 and header[0] == 0xFF and header[1] & 0xE0 == 0xE0:
        version, layer = (header[1] >> 3) & 0b11, (header[1] >> 1) & 0b11
        if layer == 0 and version in {0b10, 0b11}:
            return ".aac"  # ADTS
        if layer != 0 and version != 0b01:
            return ".mp3"  # MPEG audio frame sync
    return None


def clean_voice(upload: File) -> File:
    _check_size(upload, settings.CONSTANTS.VOICE_MAX_SIZE)
    content_type = _content_type(upload)
    not_audio = ValidationError(_("The voice message must be an audio file (ogg, webm, mp3, wav or m4a)."))
    if not (content_type.startswith("audio/") or content_type in VOICE_CONTENT_TYPES):
        raise not_audio
    extension = audio_extension(_head(upload, VOICE_HEADER_SIZE))
    if extension is None:
        raise not_audio
    upload.name = sanitize_filename(upload.name, default="voice", extension=extension)
    upload.content_type = AUDIO_TYPES[extension]
    return upload


def _head(upload: IO[bytes], size: int) -> bytes:
    upload.seek(0)
    try:
        return upload.read(size) or b""
    finally:
        upload.seek(0)


# -- attachments -------------------------------------------------------------------------------------------------


def clean_attachment(upload: File) -> File:
    _check_size(upload, settings.CONSTANTS.ATTACHMENT_MAX_SIZE)
    # Shown to the chat as sent (the stored name is unguessable: uploads.paths.UnguessablePath).
    upload.name = display_name(upload.name)
    upload.seek(0)
    return upload
