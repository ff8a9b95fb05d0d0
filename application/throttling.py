"""Throttles on the shared cache (Redis in production: CACHE_URL), answering 429 with Retry-After in the error shape.

- `AnonRateThrottle`, `UserRateThrottle`: DRF's, every endpoint (production).
- `AuthIPThrottle`, `AuthAccountThrottle`: the endpoints that take credentials or tokens (login, registration,
  refresh, logout, YandexID), per client address and per account, so neither many accounts from one address nor
  one account from many addresses can be guessed at speed.

Rates come from settings.THROTTLE_RATES when a request arrives (tests and operators change them without a
restart of the class machinery). A cache that cannot be reached lets requests through: throttling protects the
service, it must not take it down while Redis restarts.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import UntypedToken

logger = logging.getLogger(__name__)


class FailOpen:
    """Rates read from settings at request time; a throttle whose cache is down allows the request."""

    scope: str

    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except (RedisError, OSError) as exc:  # Redis down or restarting (OSError covers socket errors and timeouts)
            logger.warning("throttle %s skipped: the cache is unavailable (%s)", self.scope, exc)
            return True


class AnonRateThrottle(FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpen, throttling.UserRateThrottle):
    pass


class AuthIPThrottle(FailOpen, throttling.SimpleRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthAccountThrottle(FailOpen, throttling.SimpleRateThrottle):
    scope = "auth_account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        account = account_of(request)
        if account is None:
            return None  # nothing names an account: the address throttle alone applies
        digest = hashlib.sha256(account.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


def account_of(request: Request) -> str | None:
    """The account a credentials or token request is about: the logged-in user, the username or e-mail given, the
    user of a genuine refresh token, or the OAuth token or code itself."""
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    try:
        data = request.data if hasattr(request.data, "get") else {}
    except ParseError:
        data = {}  # the view answers the malformed body with its 400; the address throttle still counts it
    for field in ("username", "email"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            return f"name:{value.strip().lower()}"
    token = data.get("refresh") or request.COOKIES.get(settings.AUTH_COOKIE_REFRESH_NAME)
    if isinstance(token, str) and token:
        try:
            # Signature and expiry checked: a forged token cannot use up someone else's allowance.
            return f"user:{UntypedToken(token)['user_id']}"
        except (TokenError, KeyError):
            return None
    for field in ("oauth_token", "code"):
        value = data.get(field)
        if isinstance(value, str) and value:
            return f"{field}:{value}"
    return None


class CredentialThrottles:
    """For views that take credentials or tokens: the address and account throttles on top of the defaults
    (when throttling is on)."""

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()  # type: ignore[misc]
        if settings.THROTTLE:
            throttles += [AuthIPThrottle(), AuthAccountThrottle()]
        return throttles
