"""Input and output shapes of the account endpoints (login variants, logout, YandexID, the gateway check).

Kept apart from users/serializers.py (the profile serializers) so the two evolve independently."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from application.passwords import password_field
from users.models import ExternalIdentity
from users.serializers import CurrentUserSerializer


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


class CookieSessionSerializer(serializers.Serializer):
    user = CurrentUserSerializer()
    csrf_token = serializers.CharField(
        help_text="Send it back in the `X-CSRFToken` header on unsafe requests (it is also in the `csrftoken` cookie)"
    )


class CsrfTokenSerializer(serializers.Serializer):
    csrf_token = serializers.CharField()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(
        required=False, help_text="The refresh token to revoke; without it, the Bearer token's or the cookie's session"
    )


class OAuthAuthorizeSerializer(serializers.Serializer):
    authorize_url = serializers.URLField(help_text="Send the browser here")
    state = serializers.CharField(help_text="Signed, valid for a few minutes; Yandex sends it back with the code")


class OAuthCredentialsSerializer(serializers.Serializer):
    """Either a YandexID OAuth token (obtained by the client, e.g. with Yandex's SDK) or an authorization code
    with the `state` from GET /api/auth/yandex/."""

    oauth_token = serializers.CharField(required=False, trim_whitespace=True)
    code = serializers.CharField(required=False, trim_whitespace=True)
    state = serializers.CharField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("oauth_token")) == bool(attrs.get("code")):
            raise serializers.ValidationError(
                {"oauth_token": [_("Send either an OAuth token or an authorization code with its state.")]}
            )
        if attrs.get("code") and not attrs.get("state"):
            raise serializers.ValidationError({"state": [_("This field is required.")]})
        return attrs


class ExternalIdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalIdentity
        fields = ["provider", "uid", "email", "created_at"]
        read_only_fields = fields
