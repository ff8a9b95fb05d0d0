"""The posts events of the opt-in `social:<user id>` channel (docs/social.md)."""

from __future__ import annotations

from application.shapes import UUID, Integer, Nested, Shape
from centrifugo.events import SOCIAL, EventKind
from users.shapes import UserShape


class PostLikePayload(Shape):
    post = UUID()
    likes_count = Integer()
    user = Nested(UserShape, help_text="Who liked it")


POST_LIKE = EventKind(
    "post_like",
    SOCIAL,
    PostLikePayload,
    ("post_like",),
    "Somebody liked the user's post (to its author, not for own likes).",
)
