"""Every write on posts, likes and views. Each function is one transaction.

Likes and views are rows unique per (post, user), inserted with `INSERT ... ON CONFLICT DO NOTHING`: the database
decides who was first, so a double click or two devices never count twice. The post's counter moves with an
atomic `UPDATE ... SET n = n + 1` only when a row really was inserted (or deleted, for an unlike): concurrent
likes queue on the post row for that one statement and each sees the other's increment, so none is lost. The
UPDATE is the transaction's last write before the outbox row (likes) or its very last statement (views), so the
post's row lock lasts no longer than the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.base import File
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from posts.events import POST_LIKE
from posts.models import Post, PostImage, PostLike, PostView
from uploads.cleanup import delete_files_on_commit, delete_with_files
from uploads.thumbnails import image_info
from users.models import User

_UNSET: Any = object()


# -- helpers -----------------------------------------------------------------------------------------------------


def _insert_ignoring_conflict(model: type[models.Model], **values: Any) -> bool:
    """INSERT one row unless it breaks a unique constraint; True when the row was inserted."""
    quote = connection.ops.quote_name
    columns, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        columns.append(quote(field.column))
        params.append(field.get_db_prep_save(value, connection))
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(
        quote(model._meta.db_table), ", ".join(columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def _add_to_counter(post: Post, field_name: str, delta: int) -> int:
    """`UPDATE post SET n = n + delta RETURNING n`: atomic, and the new value without another query."""
    quote = connection.ops.quote_name
    counter = Post._meta.get_field(field_name)
    assert isinstance(counter, models.Field)
    column = quote(counter.column)
    table, pk = quote(Post._meta.db_table), quote(Post._meta.pk.column)
    sql = f"UPDATE {table} SET {column} = {column} + %s WHERE {pk} = %s RETURNING {column}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [delta, Post._meta.pk.get_db_prep_value(post.pk, connection)])
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    setattr(post, field_name, row[0])
    return int(row[0])


def _check_author(post: Post, user: User, message: str) -> None:
    if post.author_id != user.pk:
        raise PermissionDenied(message)


def _store_images(post: Post, images: Sequence[File]) -> None:
    for position, image in enumerate(images):
        info = image_info(image)
        sizes = {"thumbnail": info.thumbnail, "width": info.width, "height": info.height} if info else {}
        PostImage.objects.create(post=post, file=image, position=position, **sizes)


# -- posts -------------------------------------------------------------------------------------------------------


def post_content_check(description: str, *, has_images: bool) -> None:
    """The rule of every post: a description or at least one image (400 on `description`)."""
    if not description.strip() and not has_images:
        raise ValidationError({"description": [_("A post needs a description or at least one image.")]})


@transaction.atomic
def post_create(*, author: User, description: str = "", images: Sequence[File] = ()) -> Post:
    """Publish a post. `images` are already validated and re-encoded (uploads.validators.clean_image)."""
    post_content_check(description, has_images=bool(images))
    post = Post.objects.create(author=author, description=description)
    _store_images(post, images)
    return post


@transaction.atomic
def post_update(*, post: Post, user: User, description: str = _UNSET, images: Sequence[File] | None = _UNSET) -> Post:
    """Edit your own post: a new description, and/or `images` that replace all the current ones."""
    _check_author(post, user, _("You can only edit your own posts."))
    post = Post.objects.select_for_update(no_key=True).get(pk=post.pk)
    old_images = list(post.images.all()) if images is not _UNSET else []
    new_description = post.description if description is _UNSET else description
    has_images = bool(images) if images is not _UNSET else bool(post.images.exists())
    post_content_check(new_description, has_images=has_images)
    post.description = new_description
    post.save(update_fields=["description", "updated_at"])
    if images is not _UNSET:
        PostImage.objects.filter(pk__in=[image.pk for image in old_images]).delete()
        delete_files_on_commit([image.file for image in old_images], [image.thumbnail for image in old_images])
        _store_images(post, images or [])
    return post


@transaction.atomic
def post_delete(*, post: Post, user: User) -> None:
    """Delete your own post; its images' files go once the deletion has committed."""
    _check_author(post, user, _("You can only delete your own posts."))
    posts_remove(Post.objects.filter(pk=post.pk))


@transaction.atomic
def post_images_moderate_remove(*, post_id: Any, image_ids: Sequence[Any]) -> None:
    """Remove some of a post's images (moderators, through the admin); their files go after commit. A post left
    with neither a description nor an image is refused (400): the post is deleted instead."""
    post = Post.objects.select_for_update(no_key=True).filter(pk=post_id).first()
    if post is None:
        raise NotFound()
    removed = post.images.filter(pk__in=image_ids)
    post_content_check(post.description, has_images=post.images.exclude(pk__in=removed.values("pk")).exists())
    delete_with_files(removed)


@transaction.atomic
def posts_remove(posts: models.QuerySet[Post]) -> int:
    """Delete posts without a permission check (moderation in the admin), files included; returns how many."""
    ids = list(posts.values_list("pk", flat=True))
    if ids:
        delete_with_files(Post.objects.filter(pk__in=ids))
    return len(ids)


# -- likes and views ---------------------------------------------------------------------------------------------


@transaction.atomic
def post_like(*, post: Post, user: User) -> bool:
    """Like a post. Idempotent: returns whether a like was added. The author hears of it on their social channel
    (not of their own likes)."""
    try:
        with transaction.atomic():
            inserted = _insert_ignoring_conflict(PostLike, post=post.pk, user=user.pk, created_at=timezone.now())
    except IntegrityError as exc:  # the post was deleted meanwhile
        raise NotFound() from exc
    if not inserted:
        return False
    likes_count = _add_to_counter(post, "likes_count", 1)
    if post.author_id != user.pk:
        POST_LIKE.publish([post.author_id], post=post.pk, likes_count=likes_count, user=user)
    return True


@transaction.atomic
def post_unlike(*, post: Post, user: User) -> bool:
    """Take a like back. Idempotent: returns whether there was one."""
    deleted, _details = PostLike.objects.filter(post=post, user=user).delete()
    if not deleted:
        return False
    _add_to_counter(post, "likes_count", -1)
    return True


@transaction.atomic
def post_view(*, post: Post, user: User) -> int:
    """Count the user's view of the post, once per user (the author's own views are not counted).

    Returns the post's view count. A repeated view is one index probe and writes nothing.
    """
    if post.author_id == user.pk:
        return post.views_count
    try:
        with transaction.atomic():
            inserted = _insert_ignoring_conflict(PostView, post=post.pk, user=user.pk, created_at=timezone.now())
    except IntegrityError as exc:  # the post was deleted meanwhile
        raise NotFound() from exc
    if not inserted:
        post.refresh_from_db(fields=["views_count"])
        return post.views_count
    return _add_to_counter(post, "views_count", 1)


@transaction.atomic
def posts_forget_user(user: User) -> None:
    """Before a user's account is deleted (their likes and views go with them by cascade): take them out of the
    counters of the posts they liked or viewed, so `likes_count` and `views` keep matching the rows."""
    others = Post.objects.exclude(author=user)
    others.filter(likes__user=user).update(likes_count=F("likes_count") - 1)
    others.filter(views__user=user).update(views_count=F("views_count") - 1)
