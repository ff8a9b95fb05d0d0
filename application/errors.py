"""One JSON error shape for the whole API.

Every error body is an object with `detail` (a human, translated message) and `code` (a stable machine code).
Validation errors keep DRF's per-field form that SPA clients read (`{"username": ["..."]}`) and add the same two
keys beside the fields, so a client can always show `detail`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body is too large.")
    default_code = "request_too_large"


class ServiceUnavailable(exceptions.APIException):
    """The database (or another backing service) cannot be reached: retry shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("The service is temporarily unavailable. Try again in a few seconds.")
    default_code = "service_unavailable"
    retry_after = 5  # seconds, sent as Retry-After


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"


logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DataError):
        # A value the database cannot store or compare (a number beyond 64 bits, a NUL character, ...) that no
        # validation stopped earlier: bad input, not a server fault. Each write is one transaction, so nothing of
        # it was kept.
        logger.warning("bad input reached the database: %s", exc)
        exc = exceptions.ValidationError({"non_field_errors": [_("A value is out of range or cannot be stored.")]})
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError(_("Too many fields in the request."), code="too_many_fields")
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(_("Request body is too large."))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc, response.data)
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(exc.retry_after)
    return response


SHAPE_KEYS = frozenset({"detail", "code", "fields"})


def error_body(exc: Exception, data: Any) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        body: dict[str, Any] = data if isinstance(data, dict) else {"non_field_errors": data}
        first = _first_message(body)
        # A field named like a key of the shape (the OAuth `code`) is reported under `fields`, so `detail` and
        # `code` always keep their meaning.
        clashing = {name: body.pop(name) for name in SHAPE_KEYS & body.keys()}
        return {
            "detail": first or _("Invalid input."),
            "code": "invalid",
            **body,
            **({"fields": clashing} if clashing else {}),
        }
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        return {**data, "detail": str(detail), "code": str(code)}
    return {"detail": str(data), "code": "error"}


def _first_message(value: Any) -> str | None:
    if isinstance(value, dict):
        for item in value.values():
            found = _first_message(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _first_message(item)
            if found:
                return found
    elif value:
        return str(value)
    return None


def json_error(status_code: int, detail: str, code: str) -> JsonResponse:
    """The error shape for answers given outside DRF views (middleware, Django's handlers)."""
    return JsonResponse({"detail": detail, "code": code}, status=status_code, json_dumps_params={"ensure_ascii": False})


# Django-level handlers for anything outside DRF views (unknown routes, crashes), in the same shape.
def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(404, _("Not found."), "not_found")


def handler500(request: HttpRequest) -> JsonResponse:
    return json_error(500, _("Internal server error."), "server_error")


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return json_error(413, _("Request body is too large."), "request_too_large")
    if isinstance(exception, TooManyFieldsSent):
        return json_error(400, _("Too many fields in the request."), "too_many_fields")
    return json_error(400, _("Bad request."), "bad_request")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(403, _("You do not have permission to perform this action."), "permission_denied")
