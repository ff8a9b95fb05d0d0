"""Files for the storage tests, made here: images (with EXIF, alpha, bombs), audio headers, fakes."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

EXIF_ORIENTATION = 0x0112
EXIF_MAKE = 0x010F
EXIF_GPS_IFD = 0x8825


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (8, 8), mode: str = "RGB", color: object = "red", **save: object
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(
    content: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg_with_exif(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    """A JPEG whose EXIF says "rotate 90°" and carries a camera make and a GPS position."""
    image = Image.new("RGB", size, "blue")
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[EXIF_MAKE] = "SpyCam"
    exif[EXIF_GPS_IFD] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny valid-looking PNG that declares width x height pixels (its IHDR is rewritten, CRC fixed)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    ihdr_start = 8 + 8  # signature, then length + type of the first chunk (IHDR)
    data[ihdr_start : ihdr_start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr_start - 4 : ihdr_start + 13])) & 0xFFFFFFFF
    data[ihdr_start + 13 : ihdr_start + 17] = struct.pack(">I", crc)
    return bytes(data)


# The first bytes of real recordings of each container/codec, padded: what the validator looks at.
OGG_OPUS = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 64
OGG_VORBIS = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e\x01vorbis" + b"\x00" * 64
OGG_THEORA = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x2a\x80theora" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01webm" + b"\x00" * 64
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 16
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 128
AAC_ADTS = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 64
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 64
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 64
FLAC = b"fLaC\x00\x00\x00\x22" + b"\x00" * 64
