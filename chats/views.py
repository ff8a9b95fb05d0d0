from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.pagination import page_or_offset_paginator
from application.query import query_bool
from application.schema import ERROR_RESPONSES, LIMIT_OFFSET_PARAMETERS, PAGE_PARAMETERS, paginated
from chats import selectors, services
from chats.serializers import ChatCreateSerializer, ChatSerializer, ChatUpdateSerializer, MemberAddSerializer
from users.serializers import UserDicts


def _chat_response(request: Request, chat_id: uuid.UUID, status_code: int = 200) -> Response:
    """The chat as the caller sees it, read back through the selector (one fixed set of queries)."""
    context = {"request": request}
    chat = selectors.chat_get_for_user(request.user, chat_id, UserDicts.of(context))
    return Response(ChatSerializer(chat, context=context).data, status=status_code)


class ChatListView(APIView):
    @extend_schema(
        summary="My chats, latest activity first",
        parameters=[
            OpenApiParameter("search", str, description="Title, or the other member's names in private chats"),
            *PAGE_PARAMETERS,
            *LIMIT_OFFSET_PARAMETERS,
        ],
        responses={200: paginated(ChatSerializer, "PaginatedChatList"), **ERROR_RESPONSES},
        tags=["chats"],
    )
    def get(self, request: Request) -> Response:
        ids = selectors.chat_list_for_user(request.user, search=request.query_params.get("search", "").strip())
        paginator = page_or_offset_paginator(request)
        context = {"request": request}
        users = UserDicts.of(context)
        chats = selectors.chats_for_page(request.user, paginator.paginate_queryset(ids, request, view=self), users)
        page = selectors.chat_members_attach(chats, users)
        return paginator.get_paginated_response(ChatSerializer(page, many=True, context=context).data)

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
        responses={201: ChatSerializer, 200: ChatSerializer, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request) -> Response:
        serializer = ChatCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fallback = query_bool(request, "fallback")
        result = services.chat_create(creator=request.user, fallback=fallback, **serializer.validated_data)
        return _chat_response(request, result.chat.pk, status.HTTP_201_CREATED if result.created else 200)


class ChatDetailView(APIView):
    @extend_schema(summary="A chat (members only)", responses={200: ChatSerializer, **ERROR_RESPONSES}, tags=["chats"])
    def get(self, request: Request, chat_id: uuid.UUID) -> Response:
        return _chat_response(request, chat_id)

    @extend_schema(
        summary="Change a group: title, avatar, members (the creator only; private chats cannot be changed)",
        request={"application/json": ChatUpdateSerializer, "multipart/form-data": ChatUpdateSerializer},
        responses={200: ChatSerializer, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def patch(self, request: Request, chat_id: uuid.UUID) -> Response:
        chat = selectors.membership_get(request.user, chat_id).chat
        serializer = ChatUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.chat_update(chat, actor=request.user, **serializer.validated_data)
        return _chat_response(request, chat.pk)

    @extend_schema(
        summary="Delete a chat (a group: the creator; a private chat: either member)",
        responses={204: None, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def delete(self, request: Request, chat_id: uuid.UUID) -> Response:
        services.chat_delete(selectors.membership_get(request.user, chat_id).chat, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatLeaveView(APIView):
    @extend_schema(
        summary="Leave a group (not a private chat; not the creator)",
        request=None,
        responses={204: None, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request, chat_id: uuid.UUID) -> Response:
        services.chat_leave(selectors.membership_get(request.user, chat_id).chat, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatMembersView(APIView):
    @extend_schema(
        summary="Add members to a group (the creator only)",
        request=MemberAddSerializer,
        responses={200: ChatSerializer, **ERROR_RESPONSES},
        tags=["chats"],
    )
    def post(self, request: Request, chat_id: uuid.UUID) -> Response:
        chat = selectors.membership_get(request.user, chat_id).chat
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.chat_member_add(chat, actor=request.user, users=serializer.validated_data["members"])
        return _chat_response(request, chat.pk)


class ChatMemberDetailView(APIView):
    @extend_schema(
        summary="Remove a member from a group (the creator only)",
        responses={204: OpenApiResponse(description="Removed"), **ERROR_RESPONSES},
        tags=["chats"],
    )
    def delete(self, request: Request, chat_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        chat = selectors.membership_get(request.user, chat_id).chat
        services.chat_member_remove(chat, actor=request.user, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
