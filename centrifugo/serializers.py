from __future__ import annotations

from rest_framework import serializers


class TokenContextSerializer(serializers.Serializer):
    """What centrifuge-js passes to `getToken`: `{}` for the connection, `{client, channel}` for a subscription."""

    client = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="Client id (ignored)")
    channel = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The channel to subscribe to; empty or missing means the caller's own channel (their user id)",
    )


class CentrifugoTokenRequestSerializer(TokenContextSerializer):
    """Every body SPA clients send: nothing, the SDK's context object, or the context wrapped as `{ctx: {...}}`."""

    ctx = TokenContextSerializer(required=False, allow_null=True, help_text="The SDK's context object, wrapped")

    def requested_channel(self) -> str | None:
        data = self.validated_data
        ctx = data.get("ctx") or {}
        return ctx.get("channel") or data.get("channel") or None


class CentrifugoTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="A Centrifugo JWT (HS256), valid for 1 hour")
