"""The friends events of the opt-in `social:<user id>` channel (docs/social.md)."""

from __future__ import annotations

from application.shapes import UUID, Nested, Shape
from centrifugo.events import SOCIAL, EventKind
from friends.shapes import FriendRequestShape
from users.shapes import UserShape


class FriendRequestPayload(Shape):
    request = Nested(FriendRequestShape)


class FriendAcceptPayload(Shape):
    request = UUID(help_text="The accepted request (it no longer exists)")
    user = Nested(UserShape, help_text="The new friend")


FRIEND_REQUEST = EventKind(
    "friend_request",
    SOCIAL,
    FriendRequestPayload,
    ("friend_request_send",),
    "Somebody asked the user to be friends (to the receiver).",
)
FRIEND_ACCEPT = EventKind(
    "friend_accept",
    SOCIAL,
    FriendAcceptPayload,
    ("friend_request_accept", "friend_request_send"),
    "The user's friend request was accepted (to its sender), or crossed one the other user had sent.",
)
