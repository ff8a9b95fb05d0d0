"""Cookie sessions, logout and the gateway token check (docs/accounts.md)."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from urllib.parse import quote

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from application.schema import ERROR_RESPONSES
from application.shapes import RenderContext
from users import services
from users.auth_serializers import CredentialsSerializer, LogoutSerializer
from users.authentication import JWTAuthentication, enforce_csrf
from users.cookies import clear_auth_cookies, csrf_token, new_csrf_token, set_auth_cookies
from users.models import User
from users.shapes import CookieSessionShape, CsrfTokenShape
from users.tokens import SESSION_CLAIM, TokenPair
from users.views import PublicAuthView, authenticate_credentials

COOKIE_NOTE = (
    "Sets the `access_token` (path `/api/`) and `refresh_token` (path `/api/auth/`) cookies: HttpOnly, SameSite=Lax, "
    "Secure outside DEBUG, plus Django's readable `csrftoken` cookie. Requests authenticated by the cookie must "
    "send the CSRF token in `X-CSRFToken` on POST/PUT/PATCH/DELETE."
)


def cookie_session_response(request: Request, user: User, tokens: TokenPair, status_code: int = 200) -> Response:
    """The answer of a cookie-session login: the user and a fresh CSRF token in the body, the tokens in cookies."""
    session = SimpleNamespace(user=user, csrf_token=new_csrf_token(request._request))
    response = Response(CookieSessionShape.render(session, RenderContext()), status=status_code)
    set_auth_cookies(response, tokens)
    return response


class CookieAuthView(PublicAuthView):
    """A failed cookie request clears the cookies, so the browser stops sending dead tokens."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            clear_auth_cookies(response)
        return response


class CookieLoginView(CookieAuthView):
    @extend_schema(
        summary="Log in with a cookie session (browser apps)",
        description=COOKIE_NOTE + " Takes the same credentials as `POST /api/auth/`; the tokens are not in the body.",
        request=CredentialsSerializer,
        responses={200: CookieSessionShape.serializer(), **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        user = authenticate_credentials(request)
        previous = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH_NAME)
        if previous:
            # Logging in again in the same browser replaces its session instead of leaving one behind.
            with contextlib.suppress(AuthenticationFailed):
                services.session_end(previous)
        return cookie_session_response(request, user, services.session_start(user))


class CookieRefreshView(CookieAuthView):
    @extend_schema(
        summary="Rotate the tokens of a cookie session",
        description="Reads the `refresh_token` cookie (CSRF token required) and sets new cookies; the old tokens "
        "stop working. A missing, expired, forged or revoked cookie is 401 and the cookies are cleared.",
        request=None,
        responses={200: CsrfTokenShape.serializer(), **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        raw = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH_NAME)
        if not raw:
            raise NotAuthenticated()
        enforce_csrf(request)
        tokens = services.session_refresh(raw)
        token = SimpleNamespace(csrf_token=csrf_token(request._request))
        response = Response(CsrfTokenShape.render(token, RenderContext()))
        set_auth_cookies(response, tokens)
        return response


class LogoutView(PublicAuthView):
    @extend_schema(
        summary="Log out: revoke the session and clear the auth cookies",
        description=(
            "Revokes one session: its refresh token and every access token issued for it are refused from now "
            "on. The session is taken, in this order, from the body's `refresh`, the Bearer token, the refresh "
            "cookie or the access cookie (cookies need the CSRF token). Logging out a session that is already "
            "gone is no error (204). A body `refresh` or Bearer token that is not a valid token is 401."
        ),
        request=LogoutSerializer,
        responses={204: OpenApiResponse(description="Logged out; cookies cleared"), **ERROR_RESPONSES},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authentication = JWTAuthentication()
        refresh_cookie = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH_NAME)
        access_cookie = request.COOKIES.get(settings.AUTH_COOKIE_ACCESS_NAME)
        if serializer.validated_data.get("refresh"):
            services.session_end(serializer.validated_data["refresh"])
        elif authentication.get_header(request) is not None:
            raw = authentication.get_raw_token(authentication.get_header(request))
            if raw is None:
                raise NotAuthenticated()
            self._revoke(authentication.get_validated_token(raw))
        elif refresh_cookie or access_cookie:
            enforce_csrf(request)
            try:
                if refresh_cookie:
                    services.session_end(refresh_cookie)
                else:
                    self._revoke(authentication.get_validated_token(access_cookie.encode()))
            except AuthenticationFailed:
                pass  # an expired or forged cookie: nothing to revoke, the cookies go anyway
        else:
            raise NotAuthenticated()
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response

    @staticmethod
    def _revoke(token) -> None:
        session_id, user_id = token.get(SESSION_CLAIM), token.get("user_id")
        if not session_id or not user_id:
            raise InvalidToken()
        services.session_revoke(session_id=session_id, user_id=user_id)


class GatewayVerifyView(APIView):
    """nginx `auth_request` target. Exactly one query (the session join), no writes, no body."""

    permission_classes = [IsAuthenticated]
    gateway_token_check = True  # read by users.authentication.JWTAuthentication

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    @extend_schema(
        summary="Check an access token (for an API gateway's auth_request)",
        description=(
            "200 with `X-User-Id` and `X-Username` (percent-encoded UTF-8) headers and no body for a valid access "
            "token from the Bearer header or the access cookie; 401 otherwise. For a cookie-authenticated request "
            "whose original method (`X-Original-Method`, set by nginx) is unsafe, the CSRF token is required too. "
            "Does not mark the user online."
        ),
        parameters=[
            OpenApiParameter("X-Original-Method", str, OpenApiParameter.HEADER, required=False),
        ],
        responses={
            200: OpenApiResponse(description="Valid token: `X-User-Id`, `X-Username` headers"),
            401: ERROR_RESPONSES[401],
            403: ERROR_RESPONSES[403],
        },
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        response = Response(status=status.HTTP_200_OK)
        response["X-User-Id"] = str(request.user.pk)
        response["X-Username"] = quote(request.user.username, safe="@.+-_")
        response["Cache-Control"] = "no-store"
        return response
