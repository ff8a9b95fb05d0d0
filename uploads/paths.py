"""Storage keys for uploaded files: unguessable, and free of anything the client chose but the extension."""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from typing import Any

from django.utils.deconstruct import deconstructible

_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")


_UNSAFE_CHARACTERS = re.compile(r"[^\w.\- ]+")
_REPEATS = re.compile(r"([._\- ])[._\- ]+")
NAME_MAX_LENGTH = 100


def safe_extension(filename: str) -> str:
    ext = os.path.splitext(filename or "")[1].lower()
    return ext if _SAFE_EXTENSION.match(ext) else ""


def sanitize_filename(filename: str | None, *, default: str = "file", extension: str | None = None) -> str:
    """A harmless file name: no folders, control or shell characters, leading dots, or unbounded length.

    `extension` (".png") replaces the client's one, for files whose type the server determined itself.
    """
    name = unicodedata.normalize("NFKC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, ext = os.path.splitext(name)
    ext = extension if extension is not None else safe_extension(name)
    stem = _REPEATS.sub(r"\1", _UNSAFE_CHARACTERS.sub("_", stem)).strip("._- ") or default
    return stem[: NAME_MAX_LENGTH - len(ext)] + ext


# Direction overrides can disguise a name ("photo\u202egnp.exe" shows as "photoexe.png").
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _hidden(ch: str) -> bool:
    """Control, unassigned, private or surrogate characters, and direction controls (the other format characters,
    such as the joiners of emoji sequences, stay)."""
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


def display_name(filename: str | None, *, default: str = "file") -> str:
    """The name a file was uploaded under, as clients show it: no folders or control characters, at most 255
    characters (the extension kept). Unlike `sanitize_filename`, the user's own characters stay as they were."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not _hidden(ch)).strip() or default
    stem, ext = os.path.splitext(name)
    ext = ext if len(ext) <= 16 else ""
    return stem[: 255 - len(ext)] + ext


@deconstructible
class UnguessablePath:
    """An `upload_to`: `<prefix>/<2 hex>/<32 hex><ext>`; the random name hides the original one."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, instance: Any, filename: str) -> str:
        token = uuid.uuid4().hex
        return f"{self.prefix}/{token[:2]}/{token}{safe_extension(filename)}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnguessablePath) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)
