from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.db.models import F
from django.utils import timezone

from application.constants import Constants
from uploads.paths import UnguessablePath
from users.models import User

# "Muted until unmuted": the last moment PostgreSQL and Python both represent.
MUTED_FOREVER = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)

# A membership's unread count, from its chat's last seq (a join to the chat, or `chat__` from the membership).
UNREAD_COUNT = F("chat__last_seq") - F("last_read_seq") - F("skipped_after")


def unread_count_sql(chat: str, membership: str) -> str:
    """UNREAD_COUNT in SQL written by hand, over the aliases of a chat row and a membership row."""
    return f"{chat}.last_seq - {membership}.last_read_seq - {membership}.skipped_after"


def private_key_for(a: uuid.UUID | str, b: uuid.UUID | str) -> str:
    """The unordered pair of a private chat's members, so one unique column forbids the pair in either order."""
    low, high = sorted((str(a), str(b)))
    return f"{low}:{high}"


class Chat(models.Model):
    """A private chat (exactly two members) or a group.

    Counters live on this row and are changed in the statement that locks it when a message is written:
    `last_seq` numbers the chat's messages (read pointers compare against it), `message_count` answers the
    message list's `count` without scanning, `last_message` and `last_activity_at` serve the chat list.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=Constants.CHAT_TITLE_MAX_LENGTH, blank=True, default="")
    avatar = models.ImageField(upload_to=UnguessablePath("chat-avatars"), null=True, blank=True)
    is_private = models.BooleanField(default=False)
    creator = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="created_chats")
    members = models.ManyToManyField(User, through="Membership", related_name="chats")
    # "<smaller user id>:<larger user id>" for private chats, NULL for groups (NULLs never collide).
    private_key = models.CharField(max_length=73, null=True, blank=True, unique=True, editable=False)
    last_seq = models.BigIntegerField(default=0, editable=False)
    message_count = models.BigIntegerField(default=0, editable=False)
    last_message = models.ForeignKey(
        "chat_messages.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_activity_at", "-id"]

    def __str__(self) -> str:
        kind = "private" if self.is_private else "group"
        return f"{kind} chat {self.title or self.id}"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def with_unread(self) -> MembershipQuerySet:
        """Annotate `unread_count`: the others' messages after the member's read pointer (docs/api-chats.md)."""
        return self.annotate(unread_count=UNREAD_COUNT)


class Membership(models.Model):
    """A member of a chat and their read state, in two numbers (docs/api-chats.md, "Read state"):

    - `last_read_seq`, the read pointer: every message up to it is read;
    - `skipped_after`, the seqs after the pointer that are not unread for this member: their own messages and
      deleted ones.

    The unread count is derived, `chat.last_seq - last_read_seq - skipped_after` (`UNREAD_COUNT`), so a message
    to a group writes its sender's row only (its `skipped_after`), whatever the group's size.
    """

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_seq = models.BigIntegerField(default=0)
    skipped_after = models.BigIntegerField(default=0)
    # Muted for this member until then (MUTED_FOREVER: until unmuted); NULL: not muted. A muted chat keeps its
    # unread count but is left out of the member's total (chats.selectors.unread_totals).
    muted_until = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "chat"], name="membership_user_chat_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.chat_id}"
