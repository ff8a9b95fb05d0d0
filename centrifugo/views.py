"""Token endpoints for centrifuge-js `getToken` callbacks (see docs/realtime.md)."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.parsers import JSONParser, too_deep
from application.schema import ERROR_RESPONSES
from centrifugo import events, tokens
from centrifugo.serializers import CentrifugoTokenRequestSerializer, CentrifugoTokenSerializer


class LenientJSONParser(BaseParser):
    """SPAs often post `JSON.stringify(ctx)` without a JSON content type (fetch then sends text/plain): read any
    other body as JSON when it is JSON, and as an empty object otherwise."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            data = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) and not too_deep(data, settings.CONSTANTS.JSON_MAX_DEPTH) else {}


class TokenView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser, LenientJSONParser]

    def request_serializer(self, request: Request) -> CentrifugoTokenRequestSerializer:
        data = request.data if isinstance(request.data, dict) or hasattr(request.data, "getlist") else {}
        serializer = CentrifugoTokenRequestSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer


_BODY_EXAMPLES = [
    OpenApiExample(
        "centrifuge-js context (subscription)",
        value={"client": "9c1e…", "channel": "<your user id>"},
        request_only=True,
    ),
    OpenApiExample("Wrapped context", value={"ctx": {"channel": "chats:<your user id>"}}, request_only=True),
    OpenApiExample("Empty body", value={}, request_only=True),
]


class ConnectTokenView(TokenView):
    @extend_schema(
        summary="Centrifugo connection token",
        description=(
            "A connection JWT for `ws://<host>:8080/connection/websocket` (`sub` = your user id, valid for 1 hour). "
            "Any body is accepted (the SDK posts its context object, possibly wrapped as `{ctx}`) and ignored."
        ),
        request=CentrifugoTokenRequestSerializer,
        examples=_BODY_EXAMPLES,
        responses={200: CentrifugoTokenSerializer, 401: ERROR_RESPONSES[401]},
        tags=["centrifugo"],
    )
    def post(self, request: Request) -> Response:
        self.request_serializer(request)
        return Response({"token": tokens.connection_token(request.user.id)})


class SubscribeTokenView(TokenView):
    @extend_schema(
        summary="Centrifugo subscription token",
        description=(
            "A subscription JWT (`sub` = your user id, `channel`, valid for 1 hour) for one of your own channels:\n\n"
            "* `<your user id>` — message events `create`, `update`, `delete`, `read`, `read_all` "
            "(the default when the body names no channel);\n"
            "* `chats:<your user id>` — chat list events `chat_create`, `chat_update`, `chat_delete`, "
            "`member_joined`, `member_left` (opt-in);\n"
            "* `social:<your user id>` — social events `friend_request`, `friend_accept`, `post_like` (opt-in);\n"
            "* `chat:<chat id>` — a chat of yours with more than 100 members: its message events, which go there "
            "instead of to the personal channel (the chat's `channel` field names it).\n\n"
            "The channel is read from `channel` or `ctx.channel`. Any other channel is refused with 403. "
            "Every event and payload: docs/realtime.md."
        ),
        request=CentrifugoTokenRequestSerializer,
        examples=_BODY_EXAMPLES,
        responses={200: CentrifugoTokenSerializer, **{k: ERROR_RESPONSES[k] for k in (400, 401, 403)}},
        tags=["centrifugo"],
    )
    def post(self, request: Request) -> Response:
        channel = self.request_serializer(request).requested_channel() or tokens.personal_channel(request.user.id)
        family = events.family_of(request.user, channel)
        if family is None:
            raise PermissionDenied(_("You can only subscribe to your own channels."))
        granted = family.may_subscribe is not None
        return Response({"token": tokens.subscription_token(request.user.id, channel, granted=granted)})
