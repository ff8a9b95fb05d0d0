from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.pagination import Keyset, KeysetPagination, NoRows
from application.query import query_bool
from application.schema import (
    ERROR_RESPONSES,
    LIMIT_OFFSET_PARAMETERS,
    PAGE_PARAMETERS,
    QUERY_WORDS,
    ErrorSerializer,
    paginated,
)
from application.shapes import RenderContext
from chats.selectors import membership_get, parse_uuid
from messages import selectors, services
from messages.search import MAX_QUERY_LENGTH, SearchQuery
from messages.serializers import ForwardSerializer, MessageCreateSerializer, MessageUpdateSerializer, ReactionSerializer
from messages.shapes import MessageShape, ReadAllResultShape, SearchHitShape

MessageSerializer = MessageShape.serializer()


def _chat_param(request: Request) -> str:
    chat_id = request.query_params.get("chat")
    if not chat_id:
        raise ValidationError({"chat": [_("This field is required.")]})
    return chat_id


IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def idempotency_key(request: Request) -> str | None:
    """The request's `Idempotency-Key` header (None without one); 400 when it is not a key."""
    value = request.headers.get(IDEMPOTENCY_KEY)
    if value is None:
        return None
    if not IDEMPOTENCY_KEY_PATTERN.match(value):
        raise ValidationError({IDEMPOTENCY_KEY: [_("Use 1 to 64 letters, digits, '-', '_', '.' or ':'.")]})
    return value


class MessageListView(APIView):
    @extend_schema(
        summary="A chat's messages, newest first (members only)",
        description="Paging: `page`/`page_size`, `limit`/`offset`, or the cursors `before`/`after` (a message id) "
        "with `page_size`. Without any of them the newest page is served with cursor `next`/`previous` links.",
        parameters=[
            OpenApiParameter("chat", uuid.UUID, required=True),
            OpenApiParameter("search", str, description="Text, or the sender's username, first or last name"),
            *PAGE_PARAMETERS,
            OpenApiParameter("before", uuid.UUID, description="Messages older than this one"),
            OpenApiParameter("after", uuid.UUID, description="Messages newer than this one"),
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(MessageSerializer, "PaginatedMessageList"), **ERROR_RESPONSES},
        tags=["messages"],
    )
    def get(self, request: Request) -> Response:
        chat = membership_get(request.user, _chat_param(request)).chat
        search = request.query_params.get("search", "").strip()
        context = RenderContext()
        paginator = KeysetPagination(selectors.MessageCursor(chat))
        if search:
            with selectors.searching():
                page = paginator.paginate(selectors.ChatSearchPages(chat, request.user, search, context), request)
        else:
            # Pages written by PostgreSQL (one query); the chat row's counter answers `count`.
            page = paginator.paginate(selectors.MessagePages(chat, request.user, context), request)
        return paginator.get_paginated_response([message.json for message in page])

    @extend_schema(
        summary="Send a message (members only): text, a voice recording and/or up to 5 files",
        description="With an `Idempotency-Key` header, sending again (a retry after a lost answer) answers the "
        "message the first send made, with `Idempotent-Replayed: true`; nothing is stored or published twice.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_KEY,
                str,
                OpenApiParameter.HEADER,
                description="A key of the client's choosing for this message (1 to 64 letters, digits, `-`, `_`, "
                "`.`, `:`; a UUID is typical); reused for another chat or text: 409 `idempotency_key_reused`",
                pattern=IDEMPOTENCY_KEY_PATTERN.pattern,
            )
        ],
        request={"application/json": MessageCreateSerializer, "multipart/form-data": MessageCreateSerializer},
        responses={
            201: MessageSerializer,
            409: OpenApiResponse(ErrorSerializer, description="The Idempotency-Key was used for another message"),
            **ERROR_RESPONSES,
        },
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.message_create(
            sender=request.user,
            chat_id=data["chat"],
            text=data.get("text"),
            voice=data.get("voice"),
            files=data.get("files") or (),
            reply_to=data.get("reply_to"),
            client_key=idempotency_key(request),
        )
        headers = {} if result.changed else {"Idempotent-Replayed": "true"}
        return Response(result.data, status=status.HTTP_201_CREATED, headers=headers)


class MessageDetailView(APIView):
    @extend_schema(
        summary="A message (members only)", responses={200: MessageSerializer, **ERROR_RESPONSES}, tags=["messages"]
    )
    def get(self, request: Request, message_id: uuid.UUID) -> Response:
        return Response(selectors.message_json_for_user(request.user, message_id, RenderContext()).json)

    @extend_schema(
        summary="Change a message's text (the sender only)",
        description="`text` is required (a PATCH that omits it is a 400); empty or blank text removes the text "
        "of a message that has files or a voice recording.",
        # Written out: drf-spectacular documents every PATCH body as partial (all fields optional), this one is not.
        request={
            media_type: {
                "type": "object",
                "required": ["text"],
                "properties": {"text": {"type": "string", "nullable": True}},
            }
            for media_type in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")
        },
        responses={200: MessageSerializer, **ERROR_RESPONSES},
        tags=["messages"],
    )
    def patch(self, request: Request, message_id: uuid.UUID) -> Response:
        serializer = MessageUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.message_update(
            actor=request.user, message_id=message_id, text=serializer.validated_data["text"]
        )
        return Response(result.data)

    @extend_schema(
        summary="Delete a message and its files (the sender only)",
        responses={204: None, **ERROR_RESPONSES},
        tags=["messages"],
    )
    def delete(self, request: Request, message_id: uuid.UUID) -> Response:
        services.message_delete(actor=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageReadView(APIView):
    @extend_schema(
        summary="Mark a message and everything before it read (a member other than the sender)",
        request=None,
        responses={200: MessageSerializer, **ERROR_RESPONSES},
        tags=["messages"],
    )
    def post(self, request: Request, message_id: uuid.UUID) -> Response:
        return Response(services.message_read(actor=request.user, message_id=message_id).data)


class MessageReadAllView(APIView):
    @extend_schema(
        summary="Mark every message of a chat read (members only)",
        description="The answer counts the messages that became read; their ids are in the `read_all` event.",
        parameters=[OpenApiParameter("chat", uuid.UUID, required=True)],
        request=None,
        responses={200: ReadAllResultShape.serializer(), **ERROR_RESPONSES},
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        chat_id = request.query_params.get("chat") or request.data.get("chat")
        if not chat_id:
            raise ValidationError({"chat": [_("This field is required.")]})
        return Response(services.messages_read_all(actor=request.user, chat_id=chat_id).data)


class MessageReactionsView(APIView):
    @extend_schema(
        summary="Toggle my reaction on a message (members only)",
        description="One emoji per request; at most 20 different emojis per message. `active` sets the reaction "
        "on (true) or off (false) instead of toggling it. The answer is the message; the members get its "
        "`update` event when something changed.",
        request=ReactionSerializer,
        responses={200: MessageSerializer, **ERROR_RESPONSES},
        tags=["messages"],
    )
    def post(self, request: Request, message_id: uuid.UUID) -> Response:
        serializer = ReactionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.message_react(
            actor=request.user, message_id=message_id, emoji=data["emoji"], active=data.get("active")
        )
        return Response(result.data)


class MessagePinView(APIView):
    @extend_schema(
        summary="Pin a message in its chat (a private chat: either member; a group: the creator)",
        description="Pinning a pinned message moves it to the top of the pins. The members get the message's "
        "`update` event.",
        request=None,
        responses={200: MessageSerializer, **ERROR_RESPONSES},
        tags=["messages"],
    )
    def post(self, request: Request, message_id: uuid.UUID) -> Response:
        return Response(services.message_pin(actor=request.user, message_id=message_id, pinned=True).data)

    @extend_schema(
        summary="Unpin a message (who may pin it)",
        responses={200: MessageSerializer, **ERROR_RESPONSES},
        tags=["messages"],
    )
    def delete(self, request: Request, message_id: uuid.UUID) -> Response:
        return Response(services.message_pin(actor=request.user, message_id=message_id, pinned=False).data)


class ChatPinsView(APIView):
    @extend_schema(
        summary="A chat's pinned messages, latest pin first (members only)",
        description="Paging: `page_size` with the cursors of the `next`/`previous` links, `page`, or `limit`/`offset`.",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("before", str, description="Cursor (from a `next` link): pins made earlier"),
            OpenApiParameter("after", str, description="Cursor (from a `previous` link): pins made later"),
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(MessageSerializer, "PaginatedMessageList"), **ERROR_RESPONSES},
        tags=["messages"],
    )
    def get(self, request: Request, chat_id: uuid.UUID) -> Response:
        chat = membership_get(request.user, chat_id).chat
        pins = selectors.message_pins(chat)
        paginator = KeysetPagination(selectors.PIN_CURSOR)
        page = paginator.paginate(
            pins, request, count=pins.count, rows=lambda rows: selectors.message_rows(rows, request.user)
        )
        context = RenderContext()
        selectors.attach_readers(page, context)
        return paginator.get_paginated_response(MessageShape.render_many(page, context))


def _moment(request: Request, name: str) -> datetime.datetime | None:
    """An ISO 8601 date (its midnight, UTC) or date and time (UTC when it names no zone); 400 otherwise."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
        if moment is None and (day := parse_date(raw)) is not None:
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError({name: [_("Expected an ISO 8601 date or date and time.")]})
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=datetime.UTC)


class MessageSearchView(APIView):
    @extend_schema(
        summary="Search the messages of all my chats (full text, ranked, with highlighted snippets)",
        description="`q` matches a message when all its words match the text's words as prefixes, with Russian "
        'and English stemming ("сообщения" finds "сообщение"), or, from 3 characters, when the text contains '
        "`q` as it is (parts of words). `order=rank` (the default): the best of the newest 1,000 matches, most "
        "relevant first; `order=recent`: every match, newest first. `count` counts matches up to 1,000. Paging: "
        "`page_size` and the cursors of the `next`/`previous` links (or `page`, `limit`/`offset`).",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH, "pattern": QUERY_WORDS},
                required=True,
                description="What to look for: up to 200 characters, not only spaces. Without any letter or "
                "digit it finds nothing (an empty page).",
            ),
            OpenApiParameter("chat", uuid.UUID, description="Only this chat (one of mine)"),
            OpenApiParameter("sender", uuid.UUID, description="Only messages of this user"),
            OpenApiParameter(
                "since",
                {"type": "string", "format": "date-time"},
                description="Sent at or after this ISO 8601 date and time (a date alone: its midnight, UTC)",
            ),
            OpenApiParameter(
                "until",
                {"type": "string", "format": "date-time"},
                description="Sent before this ISO 8601 date and time (a date alone: its midnight, UTC)",
            ),
            OpenApiParameter(
                "has_files",
                str,
                enum=["on", "off", "true", "false", "1", "0", "yes", "no"],
                description="on: only messages with files; off: only messages without",
            ),
            OpenApiParameter("order", str, enum=["rank", "recent"], description="rank (default) or recent"),
            *PAGE_PARAMETERS,
            OpenApiParameter("before", str, description="Cursor (from a `next` link)"),
            OpenApiParameter("after", str, description="Cursor (from a `previous` link)"),
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(SearchHitShape.serializer(), "PaginatedSearchHitList"), **ERROR_RESPONSES},
        tags=["messages"],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        raw = params.get("q", "")
        if len(raw) > MAX_QUERY_LENGTH:
            raise ValidationError(
                {"q": [_("Ensure this field has no more than %(limit)d characters.") % {"limit": MAX_QUERY_LENGTH}]}
            )
        text = raw.strip()
        if not text:
            raise ValidationError({"q": [_("This field is required.")]})
        order = params.get("order") or "rank"
        if order not in ("rank", "recent"):
            raise ValidationError({"order": [_("Expected rank or recent.")]})
        filters = selectors.SearchFilters(
            chat=membership_get(request.user, params["chat"]).chat if params.get("chat") else None,
            sender_id=parse_uuid(params["sender"]) if params.get("sender") else None,
            since=_moment(request, "since"),
            until=_moment(request, "until"),
            has_files=query_bool(request, "has_files") if params.get("has_files") else None,
        )
        query = SearchQuery.parse(text)
        cursor = selectors.search_cursor(order == "rank")
        # Punctuation alone ("?!") is no word to look for: nothing matches it.
        pages: Keyset[Any] = (
            selectors.SearchPages(request.user, query, filters, ranked=order == "rank", context=RenderContext())
            if query
            else NoRows(cursor)
        )
        paginator = KeysetPagination(cursor)
        page = paginator.paginate(pages, request)
        return paginator.get_paginated_response([hit.json for hit in page])


class MessageForwardView(APIView):
    @extend_schema(
        summary="Forward up to 100 messages of my chats to a chat of mine",
        description="The copies are sent in the originals' order (oldest first) as new messages of mine, with "
        "the same text, voice and files (not uploaded again) and `forwarded_from` (the original sender and time; "
        "the original chat for those who are in it). Each is published as the contract's `create`. Unknown "
        "messages, or messages of chats I am not in, are 404 and nothing is sent.",
        request={"application/json": ForwardSerializer, "multipart/form-data": ForwardSerializer},
        responses={201: MessageSerializer(many=True), **ERROR_RESPONSES},
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        serializer = ForwardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = services.messages_forward(actor=request.user, chat_id=data["chat"], message_ids=data["messages"])
        return Response([result.data for result in results], status=status.HTTP_201_CREATED)


class MentionListView(APIView):
    @extend_schema(
        summary="Messages that mention me (@username), across my chats, newest first",
        description="Paging: `page_size` with the cursors of the `next`/`previous` links (or `page`, "
        "`limit`/`offset`). Chats I have left are not included.",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("before", str, description="Cursor (from a `next` link): older mentions"),
            OpenApiParameter("after", str, description="Cursor (from a `previous` link): newer mentions"),
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(MessageSerializer, "PaginatedMessageList"), **ERROR_RESPONSES},
        tags=["messages"],
    )
    def get(self, request: Request) -> Response:
        mentions = selectors.mentions_of(request.user)
        paginator = KeysetPagination(selectors.RECENT_CURSOR)
        page = paginator.paginate(
            mentions, request, count=mentions.count, rows=lambda rows: selectors.message_rows(rows, request.user)
        )
        context = RenderContext()
        selectors.attach_readers(page, context)
        return paginator.get_paginated_response(MessageShape.render_many(page, context))
