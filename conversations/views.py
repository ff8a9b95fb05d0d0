"""The chat endpoints: parse the input, call one service, answer with the chat as the caller sees it."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.pagination import KeysetPagination, page_or_offset_paginator
from application.query import query_bool
from application.schema import ERROR_RESPONSES, LIMIT_OFFSET_PARAMETERS, PAGE_PARAMETERS, paginated
from application.shapes import RenderContext
from chats import services as chats
from chats.events import UnreadTotalsShape
from chats.selectors import chat_ids_matching, members_of, membership_get, unread_totals
from conversations import selectors, services
from conversations.serializers import ChatCreateSerializer, ChatUpdateSerializer, MemberAddSerializer, MuteSerializer
from conversations.shapes import ChatShape
from users.shapes import UserShape

Chat = ChatShape.serializer()


def _chat_response(request: Request, chat_id: uuid.UUID, status_code: int = 200) -> Response:
    """The chat as the caller sees it, read back through the selector (one fixed set of queries)."""
    return Response(selectors.chat_row_for_user(request.user, chat_id, RenderContext()).json, status_code)


class ChatListView(APIView):
    @extend_schema(
        summary="My chats, latest activity first",
        description="Paging: the contract's `page`/`page_size` (the default), `limit`/`offset`, or the cursors "
        "`before`/`after` that the `next`/`previous` links of a cursor page carry.",
        parameters=[
            OpenApiParameter("search", str, description="Title, or the other member's names in private chats"),
            *PAGE_PARAMETERS,
            *LIMIT_OFFSET_PARAMETERS,
            OpenApiParameter("before", str, description="Cursor (from a `next` link): chats with older activity"),
            OpenApiParameter("after", str, description="Cursor (from a `previous` link): chats with newer activity"),
        ],
        responses={200: paginated(Chat, "PaginatedChatList"), **ERROR_RESPONSES},
        tags=["chats"],
    )
    def get(self, request: Request) -> Response:
        search = request.query_params.get("search", "").strip()
        context = RenderContext()
        paginator = KeysetPagination(selectors.CHAT_LIST_CURSOR, numbered_by_default=True)
        if search:
            chat_ids, count = chat_ids_matching(request.user, search)
            page = paginator.paginate(
                chat_ids.values_list("pk", flat=True),
                request,
                count=count,
                rows=lambda ids: selectors.chat_rows(request.user, ids, context),
            )
        else:
            chats = selectors.ChatPages(request.user, context)
            page = paginator.paginate(chats, request)
        return paginator.get_paginated_response([chat.json for chat in page])

    @extend_schema(
        summary="Create a private chat or a group",
        description="`?fallback=on` returns the existing private chat (200) instead of a 400 on `members`. "
        "`text` sends an opening message.",
        parameters=[
            OpenApiParameter(
                "fallback",
                str,
                enum=["on", "off", "true", "false", "1", "0", "yes", "no"],
                description="`on`: an existing private chat with the member is answered (200) instead of a 400",
            )
        ],
        request={"application/json": ChatCreateSerializer, "multipart/form-data": ChatCreateSerializer},
        responses={201: Chat, 200: Chat, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request) -> Response:
        serializer = ChatCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fallback = query_bool(request, "fallback")
        result = services.chat_start(creator=request.user, fallback=fallback, **serializer.validated_data)
        return _chat_response(request, result.chat.pk, status.HTTP_201_CREATED if result.created else 200)


class ChatDetailView(APIView):
    @extend_schema(summary="A chat (members only)", responses={200: Chat, **ERROR_RESPONSES}, tags=["chats"])
    def get(self, request: Request, chat_id: uuid.UUID) -> Response:
        return _chat_response(request, chat_id)

    @extend_schema(
        summary="Change a group: title, avatar, members (the creator only; private chats cannot be changed)",
        request={"application/json": ChatUpdateSerializer, "multipart/form-data": ChatUpdateSerializer},
        responses={200: Chat, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def patch(self, request: Request, chat_id: uuid.UUID) -> Response:
        serializer = ChatUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        chats.chat_update(actor=request.user, chat_id=chat_id, **serializer.validated_data)
        return _chat_response(request, chat_id)

    @extend_schema(
        summary="Delete a chat (a group: the creator; a private chat: either member)",
        responses={204: None, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def delete(self, request: Request, chat_id: uuid.UUID) -> Response:
        services.chat_delete(actor=request.user, chat_id=chat_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatLeaveView(APIView):
    @extend_schema(
        summary="Leave a group (not a private chat; not the creator)",
        request=None,
        responses={204: None, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request, chat_id: uuid.UUID) -> Response:
        chats.chat_leave(actor=request.user, chat_id=chat_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatMembersView(APIView):
    @extend_schema(
        summary="A chat's members, in the order they joined (members only)",
        description="Every chat's `members` are in the chat itself except a big group's (more than 100 members: "
        'docs/api-chats.md, "Big groups"): they are listed here, a page at a time.',
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description="Only the members whose username, first or last name contains it (any case), those "
                "whose username starts with it first, then those whose name does (a mention's completion)",
            ),
            *PAGE_PARAMETERS,
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(UserShape.serializer(), "PaginatedUserList"), **ERROR_RESPONSES},
        tags=["chats"],
    )
    def get(self, request: Request, chat_id: uuid.UUID) -> Response:
        membership = membership_get(request.user, chat_id)
        paginator = page_or_offset_paginator(request)
        members = members_of(membership.chat_id, search=request.query_params.get("search", "").strip())
        page = paginator.paginate_queryset(members, request, view=self)
        return paginator.get_paginated_response(UserShape.render_many(page or [], RenderContext()))

    @extend_schema(
        summary="Add members to a group (the creator only)",
        request=MemberAddSerializer,
        responses={200: Chat, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request, chat_id: uuid.UUID) -> Response:
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chats.chat_member_add(actor=request.user, chat_id=chat_id, users=serializer.validated_data["members"])
        return _chat_response(request, chat_id)


class ChatMemberDetailView(APIView):
    @extend_schema(
        summary="Remove a member from a group (the creator only)",
        responses={204: OpenApiResponse(description="Removed"), **ERROR_RESPONSES},
        tags=["chats"],
    )
    def delete(self, request: Request, chat_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        chats.chat_member_remove(actor=request.user, chat_id=chat_id, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatTypingView(APIView):
    @extend_schema(
        summary="Tell the other members I am typing (members only)",
        description="Publishes an ephemeral `typing` event to the other members' `chats:<user id>` channels (not "
        "stored, no history). At most one event per user and chat every 3 s: calls in between are answered 204 "
        "and dropped, so a client may call it on every keystroke. Clients drop the indicator after 6 s "
        "without a new event (`expires_in`).",
        request=None,
        responses={
            204: OpenApiResponse(description="Told, or coalesced with an event sent less than 3 s ago"),
            **ERROR_RESPONSES,
        },
        tags=["chats"],
    )
    def post(self, request: Request, chat_id: uuid.UUID) -> Response:
        chats.chat_typing(actor=request.user, chat_id=chat_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatMuteView(APIView):
    @extend_schema(
        summary="Mute a chat for me, until a moment or until I unmute it (members only)",
        description="The chat keeps its `unread_messages_count`; my total (GET /api/chats/unread/) leaves it out "
        "while it is muted. My devices get the `unread` event with the new total.",
        request=MuteSerializer,
        responses={200: Chat, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request, chat_id: uuid.UUID) -> Response:
        serializer = MuteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chats.chat_mute(actor=request.user, chat_id=chat_id, until=serializer.validated_data.get("until"))
        return _chat_response(request, chat_id)

    @extend_schema(summary="Unmute a chat (members only)", responses={200: Chat, **ERROR_RESPONSES}, tags=["chats"])
    def delete(self, request: Request, chat_id: uuid.UUID) -> Response:
        chats.chat_mute(actor=request.user, chat_id=chat_id, muted=False)
        return _chat_response(request, chat_id)


class UnreadTotalsView(APIView):
    @extend_schema(
        summary="My badge: unread messages and chats with unread messages, muted chats left out",
        description="One aggregate over my memberships (each holds its unread count). Kept live by the `unread` "
        "event after my own reads and mutes; others' messages add to it on `create` (docs/api-chats.md).",
        responses={200: UnreadTotalsShape.serializer(), **ERROR_RESPONSES},
        tags=["chats"],
    )
    def get(self, request: Request) -> Response:
        return Response(UnreadTotalsShape.render(unread_totals(request.user), RenderContext()))
