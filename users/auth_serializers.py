"""Input and output shapes of the account endpoints (login variants, logout, YandexID, the gateway check).

Kept apart from users/serializers.py (the profile serializers) so the two evolve independently."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from application.passwords import password_field
from application.schema import input_rules


@input_rules(anyOf=[{"required": ["username"]}, {"required": ["email"]}])
class CredentialsSerializer(serializers.Serializer):
    """`username` holds a username or an e-mail address; `email` is accepted as an alias (seeds 003/004).

    `email` is deliberately not an EmailField: a malformed address must fail exactly like a wrong password."""

    username = serializers.CharField(required=False, max_length=254, help_text="Username or e-mail address")
    email = serializers.CharField(
        required=False, max_length=254, help_text="Alternative to `username`: the e-mail address"
    )
    password = password_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        identifier = (attrs.get("username") or attrs.get("email") or "").strip()
        if not identifier:
            raise serializers.ValidationError({"username": [_("This field is required.")]})
        return {"username": identifier, "password": attrs["password"]}


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(
        required=False, help_text="The refresh token to revoke; without it, the Bearer token's or the cookie's session"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A form's empty field counts as absent for DRF; here an empty `refresh` is a mistake, not "no token".
        if "refresh" in self.initial_data and not attrs.get("refresh"):
            raise serializers.ValidationError({"refresh": [_("This field may not be blank.")]})
        return attrs


TOKEN_CHARACTERS = r"^[A-Za-z0-9\-._~+/]+=*$"


@input_rules(
    oneOf=[{"required": ["oauth_token"]}, {"required": ["code", "state"]}],
    **{"not": {"required": ["oauth_token", "code"]}},
)
class OAuthCredentialsSerializer(serializers.Serializer):
    """Either a YandexID OAuth token (obtained by the client, e.g. with Yandex's SDK) or an authorization code
    with the `state` from GET /api/auth/yandex/."""

    # Tokens and codes travel in HTTP headers and forms to the provider: only the characters OAuth allows
    # (RFC 6750's b64token), so nothing else ever reaches the provider's client.
    oauth_token = serializers.RegexField(TOKEN_CHARACTERS, required=False, max_length=2048)
    code = serializers.RegexField(TOKEN_CHARACTERS, required=False, max_length=512)
    state = serializers.CharField(required=False, max_length=1024)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("oauth_token")) == bool(attrs.get("code")):
            raise serializers.ValidationError(
                {"oauth_token": [_("Send either an OAuth token or an authorization code with its state.")]}
            )
        if attrs.get("code") and not attrs.get("state"):
            raise serializers.ValidationError({"state": [_("This field is required.")]})
        return attrs
