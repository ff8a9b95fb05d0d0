"""Every read on friends and friend requests."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound

from friends.models import FriendRequest, Friendship
from users.models import User

INCOMING = "incoming"
OUTGOING = "outgoing"


def friend_ids(user: User) -> QuerySet:
    """The ids of the user's friends, as a subquery (`author_id__in=friend_ids(me)`)."""
    return Friendship.objects.filter(user=user).values("friend_id")


def friend_list(user: User) -> QuerySet[User]:
    return User.objects.filter(pk__in=friend_ids(user), is_active=True).order_by("username", "id")


def are_friends(user: User, other: User | uuid.UUID) -> bool:
    other_id = other.pk if isinstance(other, User) else other
    return Friendship.objects.filter(user=user, friend_id=other_id).exists()


def friend_request_list(user: User, *, direction: str = INCOMING) -> QuerySet[FriendRequest]:
    requests = FriendRequest.objects.select_related("from_user", "to_user")
    if direction == OUTGOING:
        return requests.filter(from_user=user).order_by("-created_at", "-id")
    return requests.filter(to_user=user).order_by("-created_at", "-id")


def friend_request_get(user: User, request_id: uuid.UUID | str) -> FriendRequest:
    """A pending request the user sent or received; anyone else gets 404 (it is none of their business)."""
    try:
        return FriendRequest.objects.select_related("from_user", "to_user").get(
            Q(from_user=user) | Q(to_user=user), pk=request_id
        )
    except (FriendRequest.DoesNotExist, ValueError) as exc:
        raise NotFound() from exc
