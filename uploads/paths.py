"""Storage keys for uploaded files: unguessable, and free of anything the client chose but the extension."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from django.utils.deconstruct import deconstructible

_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")


def safe_extension(filename: str) -> str:
    ext = os.path.splitext(filename or "")[1].lower()
    return ext if _SAFE_EXTENSION.match(ext) else ""


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
