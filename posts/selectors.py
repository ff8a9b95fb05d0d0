"""Every read on posts: the joins a post's representation needs, so a page costs the same number of queries
whatever its size (the page, its images, the recent likers of all its posts)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from rest_framework.exceptions import NotFound, PermissionDenied

from application.pagination import TimeCursor
from friends.selectors import friend_ids
from posts.models import Post, PostImage, PostLike
from posts.shapes import PostImageRow, PostRow
from users.models import User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

RECENT_LIKERS = 3


class _Liked(TypedDict):
    liked_by_me: bool


def _with_details(posts: QuerySet[Post], viewer: User) -> QuerySet[WithAnnotations[Post, _Liked]]:
    return (
        posts.select_related("author")
        .annotate(liked_by_me=Exists(PostLike.objects.filter(post=OuterRef("pk"), user=viewer)))
        .prefetch_related(Prefetch("images", queryset=PostImage.objects.order_by("position", "id")))
    )


def _recent_likers(post_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[User]]:
    """Up to RECENT_LIKERS users who liked each post last: one query for the whole page (a window per post)."""
    likers: dict[uuid.UUID, list[User]] = {pk: [] for pk in post_ids}
    if post_ids:
        rank = Window(RowNumber(), partition_by=F("post_id"), order_by=[F("created_at").desc(), F("id").desc()])
        likes = (
            PostLike.objects.filter(post_id__in=post_ids)
            .annotate(rank=rank)
            .filter(rank__lte=RECENT_LIKERS)
            .select_related("user")
            .order_by("post_id", "rank")
        )
        for like in likes:
            likers[like.post_id].append(like.user)
    return likers


# The feed is ordered by publication, newest first (cursors: `before`/`after`, or the contract's pages).
FEED_CURSOR = TimeCursor("created_at")


def post_list(*, viewer: User, author_id: uuid.UUID | None = None, friends_only: bool = False) -> QuerySet[Post]:
    """The feed (paginate it with FEED_CURSOR, then `post_rows`): every post; `author_id` keeps one author's,
    `friends_only` the viewer's friends'."""
    posts = Post.objects.filter(author__is_active=True)
    if author_id is not None:
        posts = posts.filter(author_id=author_id)
    if friends_only:
        posts = posts.filter(author_id__in=friend_ids(viewer))
    return posts


def post_rows(posts: QuerySet[Post], viewer: User) -> list[PostRow]:
    """The posts as PostShape reads them, in the queryset's order: the page, its images, the recent likers of all
    its posts (three queries whatever the page's size)."""
    page = list(_with_details(posts, viewer))
    likers = _recent_likers([post.pk for post in page])
    return [
        PostRow(
            id=post.pk,
            author=post.author,
            description=post.description,
            images=[image.file.name for image in post.images.all()],
            image_details=[
                PostImageRow(image.file.name, image.thumbnail.name or None, image.width, image.height)
                for image in post.images.all()
            ],
            likes_count=post.likes_count,
            liked_by_me=post.liked_by_me,
            recent_likers=likers[post.pk],
            views_count=post.views_count,
            created_at=post.created_at,
            updated_at=post.updated_at,
        )
        for post in page
    ]


def post_get(post_id: uuid.UUID | str, *, viewer: User) -> PostRow:
    try:
        uuid.UUID(str(post_id))
    except ValueError as exc:
        raise NotFound() from exc
    rows = post_rows(Post.objects.filter(author__is_active=True, pk=post_id), viewer)
    if not rows:
        raise NotFound()
    return rows[0]


def post_get_for_write(post_id: uuid.UUID | str) -> Post:
    """The bare post (for services); permissions are the service's to check."""
    try:
        return Post.objects.get(pk=post_id, author__is_active=True)
    except (Post.DoesNotExist, ValueError) as exc:
        raise NotFound() from exc


def post_get_own(post_id: uuid.UUID | str, *, user: User, message: str) -> Post:
    """The bare post when `user` wrote it: 404 for unknown posts, 403 (with `message`) for someone else's — checked
    before the request's images are decoded."""
    post = post_get_for_write(post_id)
    if post.author_id != user.pk:
        raise PermissionDenied(message)
    return post


def post_likers(post: Post) -> QuerySet[User]:
    """Who liked the post, most recent first."""
    return User.objects.filter(post_likes__post=post).order_by("-post_likes__created_at", "-post_likes__id")
