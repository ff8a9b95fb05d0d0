"""Friends and friend requests as the API shows them."""

from __future__ import annotations

from application.shapes import UUID, Boolean, DateTime, Nested, Shape
from users.shapes import UserShape


class FriendRequestShape(Shape):
    """A pending friend request."""

    schema_name = "FriendRequest"

    id = UUID()
    from_user = Nested(UserShape)
    to_user = Nested(UserShape)
    created_at = DateTime()


class FriendRequestResultShape(Shape):
    """The state between you and `user` after the call: friends, or a pending request."""

    schema_name = "FriendRequestResult"

    user = Nested(UserShape)
    user_is_friend = Boolean()
    request = Nested(FriendRequestShape, null=True)


class UserIsFriendShape(Shape):
    schema_name = "UserIsFriend"

    user_is_friend = Boolean()
