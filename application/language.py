"""The language of responses: English under /api unless the request opts in (see LanguageMiddleware).

Django-only imports: users.authentication imports this module while DRF's settings are being loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

LANGUAGE_PARAM = "lang"


class LanguageMiddleware:
    """The language of a response. Under /api it is English unless the request opts in explicitly:

    - `?lang=en|ru` on any request (an unknown value is a 400);
    - otherwise, once authentication knows the user, their saved `language` (`use_user_language`).

    Accept-Language never switches an /api response by itself: the contract's deployed API answered in English
    whatever the browser said, and its clients match English texts while running in Russian-language browsers.
    Other pages (admin, the API docs) follow Accept-Language as Django's LocaleMiddleware does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supported = dict(settings.LANGUAGES)
        explicit = request.GET.get(LANGUAGE_PARAM)
        if request.path_info.startswith("/api/"):
            language = settings.LANGUAGE_CODE
            if explicit is not None:
                if explicit not in supported:
                    translation.activate(language)
                    return _unsupported_language(explicit, supported)
                language = explicit
        else:
            language = explicit if explicit in supported else translation.get_language_from_request(request)
        request.language_explicit = explicit is not None  # type: ignore[attr-defined]
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def use_user_language(request: Any, language: str) -> None:
    """Speak the authenticated user's saved language for the rest of the request, unless it chose one by `?lang=`.

    Called by users.authentication once the user is known (DRF authenticates inside the view, after middleware)."""
    if getattr(request, "language_explicit", False) or language not in dict(settings.LANGUAGES):
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language


def _unsupported_language(value: str, supported: dict[str, str]) -> JsonResponse:
    # The shape of a validation error (errors.error_body), on the query parameter.
    message = _("Unsupported language: use one of %(choices)s.") % {"choices": ", ".join(supported)}
    return JsonResponse({"detail": message, "code": "invalid", LANGUAGE_PARAM: [message]}, status=400)
