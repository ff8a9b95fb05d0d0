"""Sizes and thumbnails of images attached to messages and posts, so clients lay them out before they load.

`image_info(file)` reads an uploaded file: for an image Pillow can decode (the formats `clean_image` accepts) it
gives the size as displayed (EXIF orientation applied) and a thumbnail whose longest side is at most
THUMBNAIL_MAX_SIDE (re-encoded as `clean_image` does: no metadata); for anything else, None. The size comes from the
header; an image above AVATAR_MAX_PIXELS gets its size but no thumbnail (it is never decoded).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from uploads.validators import IMAGE_FORMATS, reencode

# EXIF orientations that swap width and height (rotated by 90 or 270 degrees).
_TRANSPOSED = {5, 6, 7, 8}
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    thumbnail: ContentFile | None


def image_info(upload: IO[bytes]) -> ImageInfo | None:
    limits = settings.CONSTANTS
    side = limits.THUMBNAIL_MAX_SIDE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=IMAGE_FORMATS) as image:
                width, height = image.size
                if image.getexif().get(_ORIENTATION) in _TRANSPOSED:
                    width, height = height, width
                if width <= 0 or height <= 0:
                    return None
                if width * height > limits.AVATAR_MAX_PIXELS:
                    return ImageInfo(width, height, None)
                image.seek(0)
                if image.format in {"JPEG", "MPO"}:
                    image.draft(image.mode, (side, side))
                image.load()
                content, extension = reencode(image, side)
    except Exception:  # not an image, or one no decoder here can read: a plain file
        return None
    finally:
        upload.seek(0)
    return ImageInfo(width, height, ContentFile(content, name=f"thumbnail{extension}"))
