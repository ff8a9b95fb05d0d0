"""A post as the API shows it, and the row it is rendered from (posts.selectors)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from application.shapes import UUID, Boolean, DateTime, FileURL, Integer, ListOf, Nested, Shape, Text
from users.models import User
from users.shapes import UserShape


class PostImageShape(Shape):
    """A post's image with its displayed size and a thumbnail (null for images stored before they existed)."""

    schema_name = "PostImage"

    item = FileURL(help_text="The image's absolute URL (as in `images`)")
    thumbnail = FileURL(null=True, help_text="A preview at most 320 px a side")
    width = Integer(null=True)
    height = Integer(null=True)


class PostShape(Shape):
    """A post as every endpoint shows it; `liked_by_me` is the viewer's."""

    schema_name = "Post"

    id = UUID()
    author = Nested(UserShape)
    description = Text()
    images = ListOf(FileURL(), help_text="Absolute URLs of the images, in upload order")
    image_details = Nested(PostImageShape, many=True, help_text="The same images with their sizes and thumbnails")
    likes_count = Integer()
    liked_by_me = Boolean()
    recent_likers = Nested(UserShape, many=True, help_text="Up to 3 users who liked the post last")
    views = Integer(source="views_count")
    created_at = DateTime()
    updated_at = DateTime()


class PostViewsShape(Shape):
    schema_name = "PostViews"

    views = Integer(help_text="The post's view count after this view")


@dataclass(slots=True)
class PostImageRow:
    item: str  # stored names
    thumbnail: str | None
    width: int | None
    height: int | None


@dataclass(slots=True)
class PostRow:
    id: uuid.UUID
    author: User
    description: str
    images: list[str]  # stored names
    image_details: list[PostImageRow]
    likes_count: int
    liked_by_me: bool
    recent_likers: list[User]
    views_count: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
