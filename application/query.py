"""Query parameters parsed strictly: a value that is not of the documented form is a 400 on that parameter, never
silently replaced by a default (generated clients and fuzzers rely on the schema telling the truth)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

TRUE = frozenset({"on", "true", "1", "yes"})
FALSE = frozenset({"off", "false", "0", "no"})


def query_int(request: Request, name: str, *, minimum: int, default: int) -> int:
    """A whole number; `false`, `-1`, `1e3` or more than 18 digits (beyond 64 bits) are refused."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) >= minimum):
        message = _("Expected a whole number from %(minimum)d up to 18 digits.") % {"minimum": minimum}
        raise ValidationError({name: [message]})
    return int(raw)


def query_bool(request: Request, name: str) -> bool:
    """`on`/`true`/`1`/`yes` or `off`/`false`/`0`/`no` (any case); absent or empty is false."""
    raw = request.query_params.get(name, "").lower()
    if raw in TRUE:
        return True
    if raw in FALSE or raw == "":
        return False
    raise ValidationError({name: [_("Expected on or off.")]})
