from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image


def png_bytes(size: tuple[int, int] = (8, 8), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_exif(size: tuple[int, int] = (2000, 1500), name: str = "me.jpg") -> io.BytesIO:
    """A JPEG upload carrying a camera maker in its EXIF (which the image cleaning must drop)."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = name
    return buffer


def png_upload(name: str = "avatar.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


def tricky_users(make_user: Any) -> list[Any]:
    """Users whose JSON is easy to get wrong: escapes, control and non-ASCII characters, null and empty fields,
    avatar names that need URL quoting, whole and fractional seconds, online and offline."""
    now = timezone.now()
    whole_seconds = (now - timedelta(days=3)).replace(microsecond=0)
    return [
        make_user(username='q"uote\\slash/', first_name="line\nbreak\ttab\r\b\f", last_name="\x01\x1f\x7f", bio=None),
        make_user(first_name="Ёжик 😀", last_name="\u2028\u2029</script>&'", bio="", last_online_at=whole_seconds),
        make_user(first_name="", last_name="", bio='multi\n"line"\\', avatar="avatars/ab/0123abcd.png"),
        make_user(bio="ünïcode", avatar="", last_online_at=now.replace(microsecond=5) - timedelta(hours=1)),
        make_user(avatar="avatars/ü x/привет #1.png", last_online_at=whole_seconds + timedelta(microseconds=100000)),
        make_user(avatar="avatars/x/../a%20b.png", last_online_at=now.replace(microsecond=0) - timedelta(seconds=1)),
    ]
