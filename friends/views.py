from __future__ import annotations

import uuid
from types import SimpleNamespace

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.schema import ERROR_RESPONSES
from application.shapes import RenderContext
from application.views import ShapeListView, list_schema
from friends import selectors, services
from friends.serializers import FriendRequestCreateSerializer, FriendRequestListQuerySerializer
from friends.shapes import FriendRequestResultShape, FriendRequestShape, UserIsFriendShape
from users import selectors as user_selectors
from users.shapes import UserShape

FriendRequestResult = FriendRequestResultShape.serializer()

TAGS = ["friends"]


@list_schema("My friends (paginated users, by username)", tags=TAGS, operation_id="friends_list")
class FriendListView(ShapeListView):
    shape = UserShape

    def list_queryset(self):
        return selectors.friend_list(self.request.user)


class FriendDetailView(APIView):
    @extend_schema(
        summary="Is this user my friend?",
        responses={200: UserIsFriendShape.serializer(), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        other = user_selectors.user_get(user_id)
        answer = SimpleNamespace(user_is_friend=selectors.are_friends(request.user, other))
        return Response(UserIsFriendShape.render(answer, RenderContext()))

    @extend_schema(
        summary="Remove a friend (both sides; idempotent)",
        request=None,
        responses={204: None, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def delete(self, request: Request, user_id: uuid.UUID) -> Response:
        services.friend_remove(user=request.user, friend=user_selectors.user_get(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@list_schema(
    "My pending friend requests, newest first",
    operation_id="friends_requests_list",
    parameters=[
        OpenApiParameter(
            "direction",
            str,
            enum=["incoming", "outgoing"],
            description="`incoming` (default): sent to me; `outgoing`: sent by me",
        )
    ],
    tags=TAGS,
)
class FriendRequestListView(ShapeListView):
    shape = FriendRequestShape

    def list_queryset(self):
        query = FriendRequestListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.friend_request_list(self.request.user, direction=query.validated_data["direction"])

    @extend_schema(
        summary="Send a friend request",
        description=(
            "201 with the new pending request. 200 when nothing new was created: the request was already pending "
            "(the same request again), you are already friends, or the user had asked you first (then you are "
            "friends now and `request` is null)."
        ),
        request=FriendRequestCreateSerializer,
        responses={201: FriendRequestResult, 200: FriendRequestResult, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = FriendRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.friend_request_send(from_user=request.user, to_user=serializer.validated_data["user"])
        status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(FriendRequestResultShape.render(result, RenderContext()), status=status_code)


class FriendRequestDetailView(APIView):
    @extend_schema(
        summary="A pending friend request I sent or received",
        responses={200: FriendRequestShape.serializer(), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, request_id: uuid.UUID) -> Response:
        friend_request = selectors.friend_request_get(request.user, request_id)
        return Response(FriendRequestShape.render(friend_request, RenderContext()))

    @extend_schema(
        summary="Cancel a friend request I sent",
        request=None,
        responses={204: None, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def delete(self, request: Request, request_id: uuid.UUID) -> Response:
        friend_request = selectors.friend_request_get(request.user, request_id)
        services.friend_request_cancel(user=request.user, friend_request=friend_request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestAcceptView(APIView):
    @extend_schema(
        summary="Accept a friend request sent to me",
        request=None,
        responses={200: FriendRequestResult, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def post(self, request: Request, request_id: uuid.UUID) -> Response:
        friend_request = selectors.friend_request_get(request.user, request_id)
        result = services.friend_request_accept(user=request.user, friend_request=friend_request)
        return Response(FriendRequestResultShape.render(result, RenderContext()))


class FriendRequestDeclineView(APIView):
    @extend_schema(
        summary="Decline a friend request sent to me",
        request=None,
        responses={204: None, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def post(self, request: Request, request_id: uuid.UUID) -> Response:
        friend_request = selectors.friend_request_get(request.user, request_id)
        services.friend_request_decline(user=request.user, friend_request=friend_request)
        return Response(status=status.HTTP_204_NO_CONTENT)
