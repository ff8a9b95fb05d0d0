"""Authentication: JWT access tokens from the Bearer header or the access cookie, session revocation, CSRF for
cookie requests, and the password check that accepts a username or an e-mail address."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models import Q
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as simplejwt_settings
from rest_framework_simplejwt.tokens import Token

from application import replica
from application.language import use_user_language
from application.model_fields import from_row, select_list
from users.models import AuthSession, User
from users.services import user_touch_presence
from users.tokens import GENERATION_CLAIM, SESSION_CLAIM

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# The one query of every authenticated request, written out once: building and compiling it through the ORM
# took longer than running it (about a millisecond per request on a small CPU), and so did a RawQuerySet's
# mapping of its columns; the row becomes a User through `Model.from_db`. users.tests pins it against the
# equivalent ORM filter.
_USER, _SESSION = User._meta.db_table, AuthSession._meta.db_table
USER_BY_SESSION_SQL = (
    f"SELECT {select_list(User, _USER)} "
    f"FROM {_USER} JOIN {_SESSION} ON {_SESSION}.user_id = {_USER}.id "
    f"WHERE {_USER}.id = %s AND {_SESSION}.id = %s AND {_SESSION}.generation = %s AND {_SESSION}.expires_at > %s"
)


def user_by_session(user_id: Any, session_id: Any, generation: Any) -> User | None:
    """The active session's user, or None (unknown user or session, old generation, expired)."""
    try:
        user_id, session_id, generation = uuid.UUID(str(user_id)), uuid.UUID(str(session_id)), int(generation)
    except (TypeError, ValueError):
        return None
    alias = router.db_for_read(User)
    with connections[alias].cursor() as cursor:
        cursor.execute(USER_BY_SESSION_SQL, [user_id, session_id, generation, timezone.now()])
        row = cursor.fetchone()
    return None if row is None else from_row(User, alias, row)


class ValidatedTokens:
    """Access tokens this process has validated (signature, type, claims), by their raw bytes and the signing key,
    kept until they expire: checking an HS256 signature and the claims through simplejwt and PyJWT was a third of
    the CPU of the API's smallest request. Revocation does not depend on it: every request still loads the user
    joined to the token's live session (`user_by_session`). Bounded: the oldest entries go first."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.entries: dict[tuple[str, bytes], Token] = {}

    def get(self, raw: bytes) -> Token | None:
        token = self.entries.get((simplejwt_settings.SIGNING_KEY, raw))
        if token is None or token.payload.get("exp", 0) <= time.time():
            return None
        return token

    def add(self, raw: bytes, token: Token) -> None:
        if len(self.entries) >= self.size:
            del self.entries[next(iter(self.entries))]
        self.entries[(simplejwt_settings.SIGNING_KEY, raw)] = token


VALIDATED = ValidatedTokens()


class JWTAuthentication(authentication.JWTAuthentication):
    """An access token is valid only while its session exists with the token's generation.

    The token comes from `Authorization: Bearer …` or, when there is no Authorization header, from the access
    cookie of a cookie session. Requests authenticated by the cookie must pass the CSRF check on unsafe methods
    (the browser attaches cookies by itself; it never attaches a Bearer header by itself).

    The session check is a join in the same single query that loads the user, so revocation costs nothing
    extra per request. The presence write happens at most once per throttle window per user.
    """

    touch_presence = True
    gateway = False  # set per request for views with `gateway_token_check = True`

    def authenticate(self, request: Request) -> tuple[User, Token] | None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self.gateway = bool(getattr(view, "gateway_token_check", False))
        if self.gateway:
            # nginx auth_request (GET /api/gateway/verify/): exactly one query, no presence write.
            self.touch_presence = False
        authenticated = self._authenticate(request)
        if authenticated is not None:
            # The rest of the request speaks the user's saved language (unless it asked for one with ?lang=).
            use_user_language(request, authenticated[0].language)
            # Its reads may now go to the read replica, when there is one (authentication itself read the primary).
            replica.authenticated(authenticated[0].pk)
        return authenticated

    def _authenticate(self, request: Request) -> tuple[User, Token] | None:
        if self.get_header(request) is not None:
            return super().authenticate(request)
        raw = request.COOKIES.get(settings.AUTH_COOKIE_ACCESS_NAME)
        if not raw:
            return None
        validated = self.get_validated_token(raw.encode())
        user = self.get_user(validated)
        method = self.request_method(request)
        if method not in SAFE_METHODS:
            enforce_csrf(request, method=method)
        return user, validated

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = VALIDATED.get(raw_token)
        if token is None:
            try:
                token = super().get_validated_token(raw_token)
            except OverflowError as exc:  # a well-signed `exp` beyond the platform's dates (simplejwt lets it out)
                raise InvalidToken(_("Token is invalid or expired")) from exc
            VALIDATED.add(raw_token, token)
        return token

    def request_method(self, request: Request) -> str:
        # nginx's auth subrequest is always a GET; the method of the request it guards arrives in
        # X-Original-Method, so a cookie-authenticated POST through the gateway still needs its CSRF token.
        if self.gateway:
            return (request.headers.get("X-Original-Method") or request.method).upper()
        return request.method

    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = validated_token["user_id"]
            session_id = validated_token[SESSION_CLAIM]
            generation = validated_token[GENERATION_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = user_by_session(user_id, session_id, generation)
        if user is None or not user.is_active:
            # InvalidToken: its default code survives the error handler (`token_not_valid`, like a bad signature)
            raise InvalidToken(_("Token is invalid or expired"))
        if self.touch_presence:
            user_touch_presence(user)
        return user


class _CSRFCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def enforce_csrf(request: Request | HttpRequest, *, method: str | None = None) -> None:
    """Django's CSRF check, outside the middleware: the `X-CSRFToken` header (or the `csrfmiddlewaretoken` form
    field) must match the `csrftoken` cookie — a double submit — and a present Origin must be trusted.

    `method` is the method being protected when it differs from the request's own (the gateway's subrequest)."""
    django_request = getattr(request, "_request", request)
    check = _CSRFCheck(lambda req: None)  # type: ignore[arg-type, return-value]
    check.process_request(django_request)
    real_method = django_request.method
    if method and method not in SAFE_METHODS:
        django_request.method = "POST"  # Django checks unsafe methods only
    try:
        reason = check.process_view(django_request, None, (), {})
    finally:
        django_request.method = real_method
    if reason:
        raise exceptions.PermissionDenied(_("CSRF failed: %(reason)s") % {"reason": reason}, code="csrf_failed")


class UsernameOrEmailBackend(ModelBackend):
    """`authenticate(username=…)` with a username or an e-mail address (case-insensitive).

    A username match wins over an e-mail match (usernames may contain `@`). When nothing matches, the password
    is still hashed once, so the answer takes as long as for a wrong password: no hint whether an account exists.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        identifier = username or kwargs.get("email")
        if not identifier or password is None:
            return None
        user = find_login_user(identifier)
        if user is None:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def find_login_user(identifier: str) -> User | None:
    candidates = list(User.objects.filter(Q(username=identifier) | Q(email__iexact=identifier))[:3])
    for user in candidates:
        if user.username == identifier:
            return user
    return candidates[0] if len(candidates) == 1 else None
