"""The auth cookies of cookie sessions (POST /api/auth/cookie/): names, paths and flags come from settings.

The access cookie is sent to the whole API, the refresh cookie only to /api/auth/ (where refresh and logout
live), so the long-lived token travels as rarely as possible. Both are HttpOnly: scripts never see the tokens.
CSRF protection uses Django's readable `csrftoken` cookie (double submit, see users.authentication.enforce_csrf).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token, rotate_token

from users.tokens import TokenPair


def _flags() -> dict:
    return {
        "domain": settings.AUTH_COOKIE_DOMAIN,
        "secure": settings.AUTH_COOKIE_SECURE,
        "httponly": True,
        "samesite": settings.AUTH_COOKIE_SAMESITE,
    }


def set_auth_cookies(response: HttpResponse, tokens: TokenPair) -> None:
    response.set_cookie(
        settings.AUTH_COOKIE_ACCESS_NAME,
        tokens.access,
        max_age=int(settings.CONSTANTS.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path=settings.AUTH_COOKIE_ACCESS_PATH,
        **_flags(),
    )
    response.set_cookie(
        settings.AUTH_COOKIE_REFRESH_NAME,
        tokens.refresh,
        max_age=int(settings.CONSTANTS.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=settings.AUTH_COOKIE_REFRESH_PATH,
        **_flags(),
    )


def clear_auth_cookies(response: HttpResponse) -> None:
    flags = {"domain": settings.AUTH_COOKIE_DOMAIN, "samesite": settings.AUTH_COOKIE_SAMESITE}
    response.delete_cookie(settings.AUTH_COOKIE_ACCESS_NAME, path=settings.AUTH_COOKIE_ACCESS_PATH, **flags)
    response.delete_cookie(settings.AUTH_COOKIE_REFRESH_NAME, path=settings.AUTH_COOKIE_REFRESH_PATH, **flags)


def has_auth_cookie(request: HttpRequest) -> bool:
    return bool(
        request.COOKIES.get(settings.AUTH_COOKIE_ACCESS_NAME) or request.COOKIES.get(settings.AUTH_COOKIE_REFRESH_NAME)
    )


def new_csrf_token(request: HttpRequest) -> str:
    """A fresh CSRF secret for a new login (Django's CsrfViewMiddleware sets the cookie on the way out) and the
    masked token to send back in X-CSRFToken."""
    rotate_token(request)
    return get_token(request)


def csrf_token(request: HttpRequest) -> str:
    return get_token(request)
