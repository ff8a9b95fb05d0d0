"""YandexID: the authorize URL, login/registration with a token or code, and linking (docs/accounts.md)."""

from __future__ import annotations

from types import SimpleNamespace

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.query import query_bool
from application.schema import ERROR_RESPONSES, ErrorSerializer
from application.shapes import RenderContext
from application.throttling import CredentialThrottles
from users import oauth, services_external
from users.auth_serializers import OAuthCredentialsSerializer
from users.oauth import ExternalProfile
from users.shapes import ExternalIdentityShape, OAuthAuthorizeShape, TokenPairShape
from users.views import PublicAuthView
from users.views_auth import cookie_session_response

PROVIDER_ERRORS = {
    404: OpenApiResponse(
        ErrorSerializer, description="`oauth_not_configured`: this server has no YandexID login (YANDEX_CLIENT_ID)"
    ),
    502: OpenApiResponse(ErrorSerializer, description="`oauth_provider_error`: YandexID answered nonsense"),
    503: OpenApiResponse(ErrorSerializer, description="`oauth_provider_unavailable`: YandexID is down or timing out"),
}
OAUTH_ERRORS = {
    **ERROR_RESPONSES,
    400: OpenApiResponse(
        ErrorSerializer,
        description="Invalid input, `oauth_state_invalid` (forged or expired state) or `oauth_code_invalid`",
    ),
    401: OpenApiResponse(
        ErrorSerializer, description="`oauth_token_invalid`, or (link) a missing or invalid access token"
    ),
    **PROVIDER_ERRORS,
}


def _profile(request: Request) -> ExternalProfile:
    serializer = OAuthCredentialsSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if data.get("oauth_token"):
        return oauth.profile_from_token(data["oauth_token"])
    return oauth.profile_from_code(data["code"], data["state"])


class YandexAuthorizeView(PublicAuthView):
    @extend_schema(
        summary="YandexID: the URL to send the browser to",
        description="The URL carries a signed `state` valid for a few minutes (YANDEX_STATE_MAX_AGE). After the "
        "user agrees, Yandex redirects to the application's callback with `code` and `state`: post both to "
        "`POST /api/auth/yandex/login/`.",
        responses={200: OAuthAuthorizeShape.serializer(), 404: PROVIDER_ERRORS[404]},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        url, state = oauth.authorize_url()
        return Response(OAuthAuthorizeShape.render(SimpleNamespace(authorize_url=url, state=state), RenderContext()))


class YandexLoginView(PublicAuthView):
    @extend_schema(
        summary="YandexID: register or log in, get an access and a refresh token",
        description=(
            "Send `oauth_token` (a YandexID token obtained by the client) or `code` with `state` (from the "
            "authorize URL's redirect). The first login registers a user from the Yandex profile (username from "
            "the login, names, e-mail, avatar) — 201; later logins find that user — 200. If a user with the "
            "profile's e-mail already exists and is not linked to this Yandex account, the answer is 409 "
            "`oauth_email_in_use` and nothing changes: that user logs in with the password and links YandexID "
            "with `POST /api/auth/yandex/link/`."
        ),
        request=OAuthCredentialsSerializer,
        parameters=[
            OpenApiParameter(
                "cookie",
                bool,
                description="`on`: start a cookie session instead (cookies set, body `{user, csrf_token}` as from "
                "`POST /api/auth/cookie/`)",
            )
        ],
        responses={
            200: OpenApiResponse(
                TokenPairShape.serializer(), description="Logged in (with `cookie=on`: `{user, csrf_token}`)"
            ),
            201: OpenApiResponse(TokenPairShape.serializer(), description="Registered and logged in"),
            **OAUTH_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="`oauth_email_in_use`"),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        profile = _profile(request)
        user, tokens, created = services_external.external_login(profile)
        status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        if query_bool(request, "cookie"):
            return cookie_session_response(request, user, tokens, status_code)
        return Response(TokenPairShape.render(tokens, RenderContext()), status=status_code)


class YandexLinkView(CredentialThrottles, APIView):
    @extend_schema(
        summary="YandexID: link a Yandex account to yourself",
        description=(
            "For a logged-in user (Bearer or cookie session with the CSRF token): after this, "
            "`POST /api/auth/yandex/login/` with that Yandex account logs in as you. Linking again is a no-op."
        ),
        request=OAuthCredentialsSerializer,
        responses={
            200: ExternalIdentityShape.serializer(),
            **OAUTH_ERRORS,
            409: OpenApiResponse(
                ErrorSerializer, description="`oauth_identity_in_use` (another user's) or `oauth_already_linked`"
            ),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        profile = _profile(request)
        identity = services_external.external_identity_link(request.user, profile)
        return Response(ExternalIdentityShape.render(identity, RenderContext()))
