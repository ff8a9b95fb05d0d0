"""Request-level guards that must run before Django parses anything."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils.translation import gettext as _

from application.errors import json_error


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
        if not path.startswith("/api/"):
            return self.get_response(request)
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


def _resolves(path: str) -> bool:
    try:
        get_resolver().resolve(path)
    except Resolver404:
        return False
    return True
