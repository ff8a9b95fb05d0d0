from __future__ import annotations

import uuid
from types import SimpleNamespace

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.pagination import KeysetPagination
from application.schema import ERROR_RESPONSES, LIMIT_OFFSET_PARAMETERS, PAGE_PARAMETERS, paginated
from application.shapes import RenderContext
from application.views import ShapeListView, list_schema
from posts import selectors, services
from posts.serializers import PostListQuerySerializer, PostWriteSerializer
from posts.shapes import PostShape, PostViewsShape
from users import selectors as user_selectors
from users.shapes import UserShape

TAGS = ["posts"]
PostSerializer = PostShape.serializer()
FEED_PARAMETERS = [
    OpenApiParameter("before", str, description="Cursor: posts older than this one (the `next` link carries it)"),
    OpenApiParameter("after", str, description="Cursor: posts newer than this one (the `previous` link carries it)"),
    *PAGE_PARAMETERS,
    *LIMIT_OFFSET_PARAMETERS,
]
WRITE_REQUEST = {"multipart/form-data": PostWriteSerializer, "application/json": PostWriteSerializer}


def _post_response(request: Request, post_id: uuid.UUID, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(PostShape.render(selectors.post_get(post_id, viewer=request.user), RenderContext()), status_code)


def _feed(request: Request, posts: QuerySet) -> Response:
    paginator = KeysetPagination(selectors.FEED_CURSOR)
    page = paginator.paginate(
        posts, request, count=posts.count, rows=lambda sliced: selectors.post_rows(sliced, request.user)
    )
    return paginator.get_paginated_response(PostShape.render_many(page, RenderContext()))


class PostListView(APIView):
    @extend_schema(
        summary="The feed: all posts, newest first (cursor paging; `page` for page numbers)",
        parameters=[PostListQuerySerializer, *FEED_PARAMETERS],
        responses={200: paginated(PostSerializer, "PaginatedPostList"), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = PostListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        posts = selectors.post_list(
            viewer=request.user,
            author_id=query.validated_data.get("author"),
            friends_only=query.validated_data["friends"],
        )
        return _feed(request, posts)

    @extend_schema(
        summary="Publish a post (a description and/or up to 10 images)",
        request=WRITE_REQUEST,
        responses={201: PostSerializer, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = PostWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(author=request.user, **serializer.validated_data)
        return _post_response(request, post.pk, status_code=status.HTTP_201_CREATED)


class UserPostListView(APIView):
    @extend_schema(
        summary="A user's posts, newest first (cursor paging; `page` for page numbers)",
        parameters=FEED_PARAMETERS,
        responses={200: paginated(PostSerializer, "PaginatedPostList"), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        author = user_selectors.user_get(user_id)
        return _feed(request, selectors.post_list(viewer=request.user, author_id=author.pk))


class PostDetailView(APIView):
    @extend_schema(summary="A post", responses={200: PostSerializer, **ERROR_RESPONSES}, tags=TAGS)
    def get(self, request: Request, post_id: uuid.UUID) -> Response:
        return _post_response(request, post_id)

    @extend_schema(
        summary="Edit your own post (`images`, when sent, replace all the current ones)",
        request=WRITE_REQUEST,
        responses={200: PostSerializer, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def patch(self, request: Request, post_id: uuid.UUID) -> Response:
        post = selectors.post_get_own(post_id, user=request.user, message=_("You can only edit your own posts."))
        serializer = PostWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.post_update(post=post, user=request.user, **serializer.validated_data)
        return _post_response(request, post_id)

    @extend_schema(summary="Delete your own post", responses={204: None, **ERROR_RESPONSES}, tags=TAGS)
    def delete(self, request: Request, post_id: uuid.UUID) -> Response:
        post = selectors.post_get_own(post_id, user=request.user, message=_("You can only delete your own posts."))
        services.post_delete(post=post, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostLikeView(APIView):
    @extend_schema(
        summary="Like a post (idempotent); answers the post",
        request=None,
        responses={200: PostSerializer, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def post(self, request: Request, post_id: uuid.UUID) -> Response:
        services.post_like(post=selectors.post_get_for_write(post_id), user=request.user)
        return _post_response(request, post_id)

    @extend_schema(
        summary="Take your like back (idempotent); answers the post",
        request=None,
        responses={200: PostSerializer, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def delete(self, request: Request, post_id: uuid.UUID) -> Response:
        services.post_unlike(post=selectors.post_get_for_write(post_id), user=request.user)
        return _post_response(request, post_id)


@list_schema("Who liked the post, most recent first (paginated users)", tags=TAGS, operation_id="posts_likers_list")
class PostLikersView(ShapeListView):
    shape = UserShape

    def list_queryset(self):
        return selectors.post_likers(selectors.post_get_for_write(self.kwargs["post_id"]))


class PostViewView(APIView):
    @extend_schema(
        summary="Count my view of a post (once per user; the author's own views are not counted)",
        request=None,
        responses={200: PostViewsShape.serializer(), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def post(self, request: Request, post_id: uuid.UUID) -> Response:
        views = services.post_view(post=selectors.post_get_for_write(post_id), user=request.user)
        return Response(PostViewsShape.render(SimpleNamespace(views=views), RenderContext()))
