"""YandexID: the OAuth 2.0 protocol through social-auth-core, without its pipeline and storage.

social-auth-core (python-social-auth) does the protocol: the authorize URL's parameters, the code exchange at the
token endpoint, HTTP timeouts and the classification of provider errors (`invalid_grant`, 5xx, timeouts…). Its
account half (strategy storage, session-held state, the pipeline that creates and associates users) does not fit
a stateless JSON API, so this module gives the backend:

- a tiny strategy that only answers settings and the request data (no session, no storage),
- a signed, short-lived `state` (django.core.signing) instead of a session-held one,
- `do_auth` that returns the profile instead of running the pipeline: accounts are created, linked and logged in
  by users.services (external_login, external_identity_link) under this project's rules.

Provider URLs, credentials and timeouts come from settings (YANDEX_*), so tests talk to a local fake provider.
Failures become API errors: provider down or timing out 503, provider nonsense 502, a bad token 401, a bad code or
state 400 — always before any account is touched.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from uploads.validators import clean_image
from users.models import User

with warnings.catch_warnings():
    # social-auth-core also loads python-openid (for OpenID backends), which warns about defusedxml on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from social_core import exceptions as social
    from social_core.backends.yandex import YandexOAuth2
    from social_core.strategy import BaseStrategy

logger = logging.getLogger(__name__)

STATE_SALT = "users.oauth.yandex.state"
_AVATAR_ID = re.compile(r"[\w-]+(/[\w-]+)*")  # e.g. "1234/abcd-5678": never "..", a scheme or a query


class OAuthError(APIException):
    status_code = status.HTTP_400_BAD_REQUEST


class InvalidState(OAuthError):
    default_detail = _("The OAuth state is invalid or expired: start the login again.")
    default_code = "oauth_state_invalid"


class InvalidCode(OAuthError):
    default_detail = _("YandexID rejected the authorization code: start the login again.")
    default_code = "oauth_code_invalid"


class InvalidOAuthToken(OAuthError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = _("YandexID rejected the OAuth token.")
    default_code = "oauth_token_invalid"


class ProviderUnavailable(OAuthError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("YandexID is not answering. Try again later.")
    default_code = "oauth_provider_unavailable"


class ProviderError(OAuthError):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = _("YandexID answered with an error. Try again later.")
    default_code = "oauth_provider_error"


class NotConfigured(OAuthError):
    # Not an error of the server: this server simply has no YandexID login (a fuzzer or a client probing for it
    # gets a 404, as for any feature that is not there).
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = _("Login with YandexID is not configured on this server.")
    default_code = "oauth_not_configured"


@dataclass(frozen=True)
class ExternalProfile:
    """What this project keeps of a provider's profile (Yandex `info` with format=json)."""

    provider: str
    uid: str
    login: str
    first_name: str
    last_name: str
    email: str
    avatar_url: str | None


# --- state -----------------------------------------------------------------------------------------------------


def make_state() -> str:
    return signing.dumps({"n": get_random_string(16)}, salt=STATE_SALT, compress=True)


def check_state(state: Any) -> None:
    if not isinstance(state, str) or len(state) > 512:
        raise InvalidState()
    try:
        signing.loads(state, salt=STATE_SALT, max_age=settings.YANDEX_STATE_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise InvalidState() from exc


# --- social-auth-core glue -------------------------------------------------------------------------------------


class _Strategy(BaseStrategy):
    """Settings and request data only: no session, no storage, no pipeline."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__(storage=None)
        self._data = data or {}

    def get_setting(self, name: str) -> Any:
        values = {"REQUESTS_TIMEOUT": settings.YANDEX_TIMEOUT, "REDIRECT_IS_HTTPS": False}
        return values[name]  # KeyError: "not set", which social-auth-core treats as its default

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return self._data

    def build_absolute_uri(self, path: str | None = None) -> str:
        return path or ""


class YandexBackend(YandexOAuth2):
    """social-auth-core's Yandex backend with this project's settings, state and account handling."""

    STATE_PARAMETER = True
    REDIRECT_STATE = False

    def authorization_url(self) -> str:
        return settings.YANDEX_OAUTH_AUTHORIZE_URL

    def access_token_url(self) -> str:
        return settings.YANDEX_OAUTH_TOKEN_URL

    def get_key_and_secret(self) -> tuple[str, str]:
        return settings.YANDEX_CLIENT_ID, settings.YANDEX_CLIENT_SECRET

    def get_scope(self) -> list[str]:
        return list(settings.YANDEX_SCOPE)

    def get_or_create_state(self) -> str:
        self.state = make_state()
        return self.state

    def validate_state(self) -> str:
        state = self.data.get("state")
        check_state(state)
        return state

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        return _without_empty_redirect(super().auth_params(state))

    def auth_complete_params(self, state: str | None = None) -> dict[str, str]:
        return _without_empty_redirect(super().auth_complete_params(state))

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # The header form of the token, as Yandex documents it (the library sends it as a query parameter).
        return self.get_json(
            settings.YANDEX_INFO_URL,
            params={"format": "json"},
            headers={"Authorization": f"OAuth {access_token}"},
        )

    def do_auth(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.user_data(access_token)


def _without_empty_redirect(params: dict[str, str]) -> dict[str, str]:
    # No redirect_uri configured: Yandex uses the application's registered callback.
    if not params.get("redirect_uri"):
        params.pop("redirect_uri", None)
    return params


def _backend(data: dict[str, Any] | None = None) -> YandexBackend:
    if not settings.YANDEX_CLIENT_ID:
        raise NotConfigured()
    return YandexBackend(_Strategy(data), redirect_uri=settings.YANDEX_REDIRECT_URI or None)


def _translate(exc: social.SocialAuthBaseException, *, token_given: bool) -> OAuthError:
    status_code = getattr(exc, "status_code", None)
    code = getattr(exc, "code", "")
    if isinstance(exc, social.AuthSessionError | social.AuthInputError):
        return InvalidState()
    if isinstance(exc, social.AuthCredentialError | social.AuthCanceled):
        return InvalidOAuthToken() if token_given or code == "credential_rejected" else InvalidCode()
    if isinstance(exc, social.AuthProviderError) and status_code in (400, 401, 403):
        return InvalidOAuthToken() if token_given else InvalidCode()
    if isinstance(exc, social.AuthProviderError) and code in {
        "timeout",
        "connection_failed",
        "unavailable",
        "rate_limited",
    }:
        return ProviderUnavailable()
    return ProviderError()


# --- public API ------------------------------------------------------------------------------------------------


def authorize_url() -> tuple[str, str]:
    """The URL to send the browser to, and its signed state."""
    backend = _backend()
    url = backend.auth_url()
    return url, backend.state


def profile_from_token(oauth_token: str) -> ExternalProfile:
    backend = _backend()
    try:
        data = backend.user_data(oauth_token)
    except social.SocialAuthBaseException as exc:
        logger.info("YandexID info failed: %s", exc)
        raise _translate(exc, token_given=True) from exc
    profile = _profile(data)
    # A token the user gave to another application must not log in here (token substitution).
    client_id = data.get("client_id")
    if client_id and client_id != settings.YANDEX_CLIENT_ID:
        raise InvalidOAuthToken(_("The OAuth token was issued to another application."))
    return profile


def profile_from_code(code: str, state: str) -> ExternalProfile:
    backend = _backend({"code": code, "state": state})  # a server without YandexID has no state to check
    check_state(state)  # before any call to the provider
    try:
        data = backend.auth_complete()
    except social.SocialAuthBaseException as exc:
        logger.info("YandexID code exchange failed: %s", exc)
        raise _translate(exc, token_given=False) from exc
    return _profile(data)


def _profile(data: Any) -> ExternalProfile:
    if not isinstance(data, dict) or not data.get("id"):
        raise ProviderError()
    avatar_id = data.get("default_avatar_id")
    avatar_url = None
    if avatar_id and not data.get("is_avatar_empty", False) and _AVATAR_ID.fullmatch(str(avatar_id)):
        avatar_url = f"{settings.YANDEX_AVATAR_URL.rstrip('/')}/{quote(str(avatar_id), safe='/')}/islands-200"
    return ExternalProfile(
        provider="yandex",
        uid=str(data["id"]),
        login=_text(data.get("login")),
        first_name=_text(data.get("first_name")),
        last_name=_text(data.get("last_name")),
        email=_email(data.get("default_email")),
        avatar_url=avatar_url,
    )


def _text(value: Any) -> str:
    # PostgreSQL stores no NUL character: one in a profile field made every login of that account a 400.
    return str(value or "").replace("\x00", "")


def _email(value: Any) -> str:
    """The profile's e-mail when it is one the API would accept at registration; otherwise none (an account is
    made without an e-mail rather than with a malformed one, or not at all)."""
    email = _text(value).strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        return ""
    return email if len(email) <= User._meta.get_field("email").max_length else ""


def download_avatar(profile: ExternalProfile) -> SimpleUploadedFile | None:
    """The profile picture as a validated upload, or None: a missing or broken avatar never blocks a login."""
    if not profile.avatar_url:
        return None
    limit = settings.CONSTANTS.AVATAR_MAX_SIZE
    try:
        with requests.get(profile.avatar_url, timeout=settings.YANDEX_TIMEOUT, stream=True) as response:
            response.raise_for_status()
            content = response.raw.read(limit + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        logger.warning("YandexID avatar download failed: %s", exc)
        return None
    if not content or len(content) > limit:
        return None
    upload = SimpleUploadedFile("yandex-avatar.jpg", content, content_type="image/jpeg")
    try:
        return clean_image(upload)
    except (ValidationError, Exception):  # whatever the image library thinks of it, the login goes on
        logger.warning("YandexID avatar is not a usable image: %s", profile.avatar_url)
        return None
