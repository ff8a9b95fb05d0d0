"""Every write on friends and friend requests. Each function is one transaction.

Operations on a pair of users are serialized by locking both user rows (`FOR NO KEY UPDATE`, in id order so two
requests crossing each other cannot deadlock). That makes "A asks B while B asks A" end as one friendship instead
of two pending requests, and keeps the two directed Friendship rows in step. `NO KEY` does not conflict with the
key-share locks that inserts referencing the users take, so messages, likes etc. are never blocked by it.

Events (friends/events.py) go to the recipient's social channel `social:<user id>` (docs/social.md), never to the
personal message channel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from friends import selectors
from friends.events import FRIEND_ACCEPT, FRIEND_REQUEST
from friends.models import FriendRequest, Friendship
from users.models import User


@dataclass(frozen=True)
class FriendRequestResult:
    """What sending a request did: `request` is the pending request (None once the two are friends)."""

    user: User
    user_is_friend: bool
    request: FriendRequest | None
    created: bool


def _lock_pair(a: User, b: User) -> None:
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=[a.pk, b.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _befriend(a: User, b: User) -> None:
    Friendship.objects.bulk_create([Friendship(user=a, friend=b), Friendship(user=b, friend=a)], ignore_conflicts=True)


def _publish_accept(*, to: User, by: User, request_id: uuid.UUID) -> None:
    FRIEND_ACCEPT.publish([to.pk], request=request_id, user=by)


@transaction.atomic
def friend_request_send(*, from_user: User, to_user: User) -> FriendRequestResult:
    """Ask `to_user` to be friends. Idempotent: asking again returns the pending request, asking a friend changes
    nothing, and asking someone who already asked you accepts their request (you become friends)."""
    if from_user.pk == to_user.pk:
        raise ValidationError({"user": [_("You cannot send a friend request to yourself.")]})
    _lock_pair(from_user, to_user)
    if selectors.are_friends(from_user, to_user):
        return FriendRequestResult(user=to_user, user_is_friend=True, request=None, created=False)
    reverse = FriendRequest.objects.filter(from_user=to_user, to_user=from_user).first()
    if reverse is not None:
        request_id = reverse.pk
        reverse.delete()
        _befriend(from_user, to_user)
        _publish_accept(to=to_user, by=from_user, request_id=request_id)
        return FriendRequestResult(user=to_user, user_is_friend=True, request=None, created=False)
    existing = FriendRequest.objects.filter(from_user=from_user, to_user=to_user).first()
    if existing is not None:
        existing.from_user, existing.to_user = from_user, to_user
        return FriendRequestResult(user=to_user, user_is_friend=False, request=existing, created=False)
    friend_request = FriendRequest.objects.create(from_user=from_user, to_user=to_user)
    FRIEND_REQUEST.publish([to_user.pk], request=friend_request)
    return FriendRequestResult(user=to_user, user_is_friend=False, request=friend_request, created=True)


def _locked_request(friend_request: FriendRequest) -> FriendRequest:
    """Lock the pair, then re-read the request: it may have been accepted, declined or cancelled meanwhile."""
    _lock_pair(friend_request.from_user, friend_request.to_user)
    if not FriendRequest.objects.filter(pk=friend_request.pk).exists():
        raise NotFound()
    return friend_request


@transaction.atomic
def friend_request_accept(*, user: User, friend_request: FriendRequest) -> FriendRequestResult:
    """The receiver accepts: the two become friends, the sender gets a `friend_accept` event."""
    if friend_request.to_user_id != user.pk:
        raise PermissionDenied(_("Only the user who received the friend request can accept it."))
    _locked_request(friend_request)
    sender = friend_request.from_user
    request_id = friend_request.pk
    friend_request.delete()
    _befriend(user, sender)
    _publish_accept(to=sender, by=user, request_id=request_id)
    return FriendRequestResult(user=sender, user_is_friend=True, request=None, created=False)


@transaction.atomic
def friend_request_decline(*, user: User, friend_request: FriendRequest) -> None:
    """The receiver declines: the request is deleted (silently: the sender is not notified)."""
    if friend_request.to_user_id != user.pk:
        raise PermissionDenied(_("Only the user who received the friend request can decline it."))
    _locked_request(friend_request)
    friend_request.delete()


@transaction.atomic
def friend_request_cancel(*, user: User, friend_request: FriendRequest) -> None:
    """The sender withdraws the request."""
    if friend_request.from_user_id != user.pk:
        raise PermissionDenied(_("Only the user who sent the friend request can cancel it."))
    _locked_request(friend_request)
    friend_request.delete()


@transaction.atomic
def friend_remove(*, user: User, friend: User) -> bool:
    """End a friendship (both directions). Idempotent: returns whether there was one."""
    _lock_pair(user, friend)
    deleted, _details = Friendship.objects.filter(user__in=[user, friend], friend__in=[user, friend]).delete()
    return deleted > 0
