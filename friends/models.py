"""Friend requests and friendships.

A friendship is stored as two directed rows, (a, b) and (b, a), written and deleted together by the services.
Every read is then a plain index range on `user`: "my friends" is `WHERE user_id = me`, "is X my friend" is one
unique-index probe and the friends feed is `author_id IN (SELECT friend_id ... WHERE user_id = me)`. One row per
ordered pair would halve the rows but turn each of those reads into an `OR` over two columns.

A FriendRequest exists only while it is pending: accepting turns it into a friendship, declining or cancelling
deletes it, so the sender may ask again later.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class FriendRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests_sent"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["from_user", "to_user"], name="friendrequest_unique_pair"),
            models.CheckConstraint(condition=~models.Q(from_user=models.F("to_user")), name="friendrequest_not_self"),
        ]
        indexes = [
            models.Index(fields=["to_user", "-created_at"], name="friendrequest_incoming_idx"),
            models.Index(fields=["from_user", "-created_at"], name="friendrequest_outgoing_idx"),
        ]

    def __str__(self) -> str:
        return f"friend request {self.from_user_id} → {self.to_user_id}"


class Friendship(models.Model):
    """One direction of a friendship: `friend` is a friend of `user` (the reverse row always exists too)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friendships")
    friend = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "friend"], name="friendship_unique_pair"),
            models.CheckConstraint(condition=~models.Q(user=models.F("friend")), name="friendship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} is a friend of {self.friend_id}"
