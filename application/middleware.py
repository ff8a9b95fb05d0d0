"""Request-level guards that must run before Django parses anything, and the JSON shape of every /api error."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, get_resolver
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from application.errors import json_error

# C0 control characters other than tab, line feed and carriage return, and DEL. NUL cannot be stored or compared
# by PostgreSQL; the others have no business in a query parameter.
CONTROL_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # a character class's ranges (also the schema's patterns)
CONTROL_CHARACTERS = re.compile(f"[{CONTROL_CLASS}]")


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


# The error of a status when nothing better is known (the codes of errors.py's handlers).
GENERIC_ERRORS = {
    400: (gettext_lazy("Bad request."), "bad_request"),
    403: (gettext_lazy("You do not have permission to perform this action."), "permission_denied"),
    404: (gettext_lazy("Not found."), "not_found"),
    405: (gettext_lazy("Method not allowed."), "method_not_allowed"),
    413: (gettext_lazy("Request body is too large."), "request_too_large"),
    500: (gettext_lazy("Internal server error."), "server_error"),
}


class ApiErrorShapeMiddleware:
    """Every /api error is JSON in the API's shape, whatever produced it.

    DRF and the handlers in errors.py answer JSON already; this catches the rest: Django's HTML debug pages
    (DEBUG on: a crash, a suspicious request), the browsable API's HTML error pages (their body becomes the error
    errors.py shaped, field errors included), anything a library renders itself. Its status and headers (Allow,
    Retry-After, WWW-Authenticate) are kept; the body is replaced.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response) or not is_api_path(request.path_info):
            return response
        data = getattr(response, "data", None)  # a DRF Response keeps the body errors.py shaped: keep it
        if isinstance(data, dict) and {"detail", "code"} <= data.keys():
            # DRF's TemplateHTMLRenderer (the API docs pages) writes `status_code` into the data it renders.
            shaped = {key: value for key, value in data.items() if key != "status_code"}
            replaced = JsonResponse(shaped, status=response.status_code, json_dumps_params={"ensure_ascii": False})
        else:
            generic = GENERIC_ERRORS.get(response.status_code)
            detail, code = generic if generic else (response.reason_phrase, "error")
            replaced = json_error(response.status_code, str(detail), code)
        for name, value in response.items():
            if name.lower() not in {"content-type", "content-length"}:
                replaced[name] = value
        return replaced


class BodySizeLimitMiddleware:
    """Refuse bodies over the product limit with 413 before they are read (nginx does the same in front)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.CONSTANTS.MAX_BODY_SIZE:
            return json_error(413, _("Request body is too large."), "request_too_large")
        return self.get_response(request)


class ApiPathMiddleware:
    """Serve `/api/chat/<id>` as `/api/chat/<id>/` for every method, and answer unknown API paths with JSON 404.

    Django's APPEND_SLASH answers with a redirect, which browsers follow as GET and which drops PATCH and POST
    bodies; the contract's clients call some paths without the slash, so the path is rewritten in place instead.
    Unknown routes (malformed ids included) get the API's JSON 404 even with DEBUG on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not is_api_path(path):
            return self.get_response(request)
        if any(
            CONTROL_CHARACTERS.search(key) or any(CONTROL_CHARACTERS.search(value) for value in values)
            for key, values in request.GET.lists()
        ):
            return _control_characters()
        # Only a path without the slash is looked up here; the usual one is resolved once, by Django.
        if not path.endswith("/") and not _resolves(path) and _resolves(path + "/"):
            request.path_info = path + "/"
            request.path = request.path + "/"
        response = self.get_response(request)
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            # No route matched (Django sets resolver_match only for a match): the API's JSON, also in DEBUG,
            # where Django would render its HTML page.
            return json_error(404, _("Not found."), "not_found")
        return response


def is_api_path(path: str) -> bool:
    """Under /api/, also as `//api/...`: nginx merges slashes to choose its location, not in the path it passes."""
    return path.lstrip("/").startswith("api/")


def _resolves(path: str) -> bool:
    try:
        get_resolver().resolve(path)
    except Resolver404:
        return False
    return True


def _control_characters() -> JsonResponse:
    message = _("Control characters are not allowed in query parameters.")
    return JsonResponse({"detail": message, "code": "invalid", "non_field_errors": [message]}, status=400)
