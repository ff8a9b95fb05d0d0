from __future__ import annotations

import dataclasses
import io
import time
from typing import Any

import pytest
from PIL import Image
from rest_framework.exceptions import ValidationError

from application.constants import Constants
from uploads.paths import UnguessablePath, sanitize_filename
from uploads.tests import helpers
from uploads.tests.helpers import image_bytes, upload
from uploads.validators import audio_extension, clean_attachment, clean_image, clean_voice


def limits(settings: Any, **overrides: int) -> None:
    settings.CONSTANTS = dataclasses.replace(Constants(), **overrides)


def decode(file: Any) -> Image.Image:
    file.seek(0)
    image = Image.open(io.BytesIO(file.read()))
    image.load()
    return image


class TestCleanImage:
    @pytest.mark.parametrize(
        ("fmt", "mode", "save", "extension", "out_format"),
        [
            ("PNG", "RGB", {}, ".jpg", "JPEG"),
            ("JPEG", "RGB", {}, ".jpg", "JPEG"),
            ("GIF", "P", {}, ".jpg", "JPEG"),
            ("WEBP", "RGB", {}, ".jpg", "JPEG"),
            ("BMP", "RGB", {}, ".jpg", "JPEG"),
            ("PNG", "RGBA", {}, ".png", "PNG"),
            ("PNG", "LA", {}, ".png", "PNG"),
            ("WEBP", "RGBA", {}, ".webp", "WEBP"),
            ("GIF", "P", {"transparency": 1}, ".png", "PNG"),
        ],
    )
    def test_reencoded_by_format_and_transparency(
        self, fmt: str, mode: str, save: dict, extension: str, out_format: str
    ) -> None:
        color = (255, 0, 0, 128) if mode == "RGBA" else (10, 128) if mode == "LA" else 1 if mode == "P" else "red"
        result = clean_image(upload(image_bytes(fmt, (30, 20), mode, color, **save), f"My Photo.{fmt.lower()}"))
        assert result.name == f"My Photo{extension}"
        image = decode(result)
        assert image.format == out_format
        assert image.size == (30, 20)
        if extension in {".png", ".webp"}:
            assert image.mode == "RGBA"

    def test_exif_stripped_and_orientation_applied(self) -> None:
        original = helpers.jpeg_with_exif(size=(40, 20), orientation=6)
        with Image.open(io.BytesIO(original)) as source:
            assert source.getexif()[helpers.EXIF_MAKE] == "SpyCam"
        result = clean_image(upload(original, "photo.jpg", "image/jpeg"))
        image = decode(result)
        assert image.size == (20, 40)  # rotated as the orientation tag said
        assert not image.getexif()
        assert "exif" not in image.info
        result.seek(0)
        content = result.read()
        assert b"SpyCam" not in content
        assert b"Exif" not in content

    def test_jpeg_comment_and_xmp_dropped(self) -> None:
        xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">where I live</x:xmpmeta>'
        content = image_bytes("JPEG", (10, 10), comment=b"secret comment", xmp=xmp)
        assert b"secret comment" in content and b"where I live" in content
        result = clean_image(upload(content, "a.jpg", "image/jpeg"))
        result.seek(0)
        stored = result.read()
        assert b"secret comment" not in stored
        assert b"where I live" not in stored

    def test_png_text_metadata_dropped(self) -> None:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", "secret location")
        content = image_bytes("PNG", (10, 10), "RGBA", (0, 0, 0, 0), pnginfo=info)
        result = clean_image(upload(content, "a.png"))
        result.seek(0)
        assert b"secret location" not in result.read()

    def test_downscaled_to_max_side(self, settings: Any) -> None:
        limits(settings, AVATAR_MAX_SIDE=64)
        result = clean_image(upload(image_bytes("PNG", (300, 150)), "big.png"))
        assert decode(result).size == (64, 32)

    def test_large_photo_is_fast_and_exact(self, settings: Any) -> None:
        content = image_bytes("JPEG", (4000, 3000), "RGB", "green", quality=90)
        started = time.monotonic()
        result = clean_image(upload(content, "camera.jpg", "image/jpeg"))
        assert time.monotonic() - started < 5
        assert decode(result).size == (1024, 768)

    def test_animated_gif_keeps_first_frame(self) -> None:
        frames = [Image.new("P", (10, 10), i) for i in range(3)]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
        result = clean_image(upload(buffer.getvalue(), "anim.gif"))
        assert decode(result).size == (10, 10)

    @pytest.mark.parametrize(
        "content",
        [
            b"not an image",
            b"",
            image_bytes("PNG", (50, 50))[:60],  # truncated
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # EPS: needs Ghostscript, never accepted
            image_bytes("ICO", (16, 16)),  # a real image in a format that is not accepted
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        ],
    )
    def test_not_an_image_refused(self, content: bytes) -> None:
        with pytest.raises(ValidationError) as info:
            clean_image(upload(content, "avatar.png", "image/png"))
        assert "valid image" in str(info.value.detail[0])

    def test_decompression_bomb_refused_before_decoding(self) -> None:
        started = time.monotonic()
        with pytest.raises(ValidationError) as info:
            clean_image(upload(helpers.png_bomb(100_000, 100_000), "bomb.png", "image/png"))
        assert "megapixels" in str(info.value.detail[0])
        assert time.monotonic() - started < 1

    def test_pixel_limit_from_constants(self, settings: Any) -> None:
        limits(settings, AVATAR_MAX_PIXELS=1000)
        clean_image(upload(image_bytes("PNG", (40, 25)), "ok.png"))
        with pytest.raises(ValidationError, match="megapixels"):
            clean_image(upload(image_bytes("PNG", (40, 26)), "too-many.png"))

    def test_size_limit_from_constants(self, settings: Any) -> None:
        content = image_bytes("PNG", (64, 64))
        limits(settings, AVATAR_MAX_SIZE=len(content) - 1)
        with pytest.raises(ValidationError, match="too large"):
            clean_image(upload(content, "a.png"))

    def test_hostile_name_sanitized(self) -> None:
        result = clean_image(upload(image_bytes(), "../../etc/<evil>.php", "image/png"))
        assert result.name == "evil.jpg"


class TestCleanVoice:
    @pytest.mark.parametrize(
        ("content", "content_type", "extension", "stored_type"),
        [
            (helpers.OGG_OPUS, "audio/ogg; codecs=opus", ".ogg", "audio/ogg"),
            (helpers.OGG_VORBIS, "audio/ogg", ".ogg", "audio/ogg"),
            (helpers.WEBM, "audio/webm;codecs=opus", ".webm", "audio/webm"),
            (helpers.WEBM, "video/webm", ".webm", "audio/webm"),
            (helpers.MP3_ID3, "audio/mpeg", ".mp3", "audio/mpeg"),
            (helpers.MP3_FRAME, "audio/mp3", ".mp3", "audio/mpeg"),
            (helpers.AAC_ADTS, "audio/aac", ".aac", "audio/aac"),
            (helpers.WAV, "audio/wav", ".wav", "audio/wav"),
            (helpers.M4A, "audio/mp4", ".m4a", "audio/mp4"),
            (helpers.M4A, "audio/x-m4a", ".m4a", "audio/mp4"),
            (helpers.FLAC, "audio/flac", ".flac", "audio/flac"),
        ],
    )
    def test_audio_accepted_with_detected_extension(
        self, content: bytes, content_type: str, extension: str, stored_type: str
    ) -> None:
        result = clean_voice(upload(content, "recording.bin", content_type))
        assert result.name == f"recording{extension}"
        assert result.content_type == stored_type
        assert result.read() == content  # stored as sent, from the start

    @pytest.mark.parametrize(
        ("content", "name", "content_type"),
        [
            (b"just some text, not audio at all", "voice.ogg", "audio/ogg"),
            (b"", "voice.ogg", "audio/ogg"),
            (helpers.OGG_THEORA, "voice.ogg", "audio/ogg"),  # an Ogg container without an audio codec
            (image_bytes(), "voice.mp3", "audio/mpeg"),
            (b"\xff\xea\x00\x00" + b"\x00" * 60, "voice.mp3", "audio/mpeg"),  # frame sync of a reserved version
            (helpers.OGG_OPUS, "voice.ogg", "text/plain"),  # audio bytes, but declared as something else
            (helpers.WEBM, "voice.webm", ""),
            (helpers.MP3_ID3, "voice.mp3", "application/octet-stream"),
        ],
    )
    def test_not_audio_refused(self, content: bytes, name: str, content_type: str) -> None:
        with pytest.raises(ValidationError) as info:
            clean_voice(upload(content, name, content_type))
        assert "audio" in str(info.value.detail[0])

    def test_size_limit(self, settings: Any) -> None:
        limits(settings, VOICE_MAX_SIZE=len(helpers.WAV) - 1)
        with pytest.raises(ValidationError, match="too large"):
            clean_voice(upload(helpers.WAV, "v.wav", "audio/wav"))

    def test_audio_extension_on_short_input(self) -> None:
        assert audio_extension(b"") is None
        assert audio_extension(b"\xff") is None


class TestCleanAttachment:
    def test_any_type_kept_with_its_name_for_display(self) -> None:
        result = clean_attachment(upload(b"%PDF-1.7 ...", "..\\..\\Отчёт за 2024 <final>.PDF", "application/pdf"))
        # The name as sent, for display (the stored one is unguessable with a safe extension: UnguessablePath).
        assert result.name == "Отчёт за 2024 <final>.PDF"
        assert result.read() == b"%PDF-1.7 ..."

    def test_size_limit(self, settings: Any) -> None:
        limits(settings, ATTACHMENT_MAX_SIZE=3)
        clean_attachment(upload(b"abc", "a.txt"))
        with pytest.raises(ValidationError, match="too large"):
            clean_attachment(upload(b"abcd", "a.txt"))


class TestNames:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\me\\photo.JPG", "photo.jpg"),
            (".htaccess", "htaccess"),
            ("a\x00b\x1b[31m.txt", "ab_31m.txt"),
            ("", "file"),
            ("...", "file"),
            ("x" * 300 + ".jpg", "x" * 96 + ".jpg"),
            ("archive.tar.gz", "archive.tar.gz"),
            ("weird.ext-that-is-long", "weird"),
        ],
    )
    def test_sanitize_filename(self, name: str, expected: str) -> None:
        assert sanitize_filename(name) == expected

    def test_unguessable_keys(self) -> None:
        path = UnguessablePath("voice")
        first, second = path(None, "../secret name.OGG"), path(None, "../secret name.OGG")
        assert first != second
        assert first.startswith("voice/") and first.endswith(".ogg")
        assert "secret" not in first
        assert len(first.rsplit("/", 1)[1]) == 32 + len(".ogg")
