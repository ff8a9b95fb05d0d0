"""The JSON request parser: orjson with limits, so hostile bodies are a 400 `parse_error`, never a 500.

DRF's parser uses the standard library, whose recursive decoder raises RecursionError (a 500) on a body nested
about a thousand levels deep. orjson stops at 1,024 levels by itself and refuses NaN, Infinity and lone
surrogates; on top of that, nesting deeper than JSON_MAX_DEPTH is refused before any serializer walks it.
"""

from __future__ import annotations

import codecs
from typing import IO, Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            if codecs.lookup(encoding).name != "utf-8":
                raw = raw.decode(encoding)
            data = orjson.loads(raw)
        except (LookupError, UnicodeDecodeError, orjson.JSONDecodeError) as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc
        if too_deep(data, settings.CONSTANTS.JSON_MAX_DEPTH):
            raise ParseError(
                _("JSON parse error: nested deeper than %(depth)d levels.")
                % {"depth": settings.CONSTANTS.JSON_MAX_DEPTH}
            )
        return data


def too_deep(data: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` (iterative: the check itself cannot overflow)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return False
