from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone

from application.ids import uuid7
from chats.models import Chat
from uploads.paths import UnguessablePath
from users.models import User


class Message(models.Model):
    """A message. `seq` numbers it within its chat (1, 2, ...): read pointers and history cursors compare it,
    and the (chat, seq) index serves both newest-first pages and "how many after my pointer" counts."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages", db_index=False)
    # Indexed with the chat (Meta.indexes), not on its own.
    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages", db_index=False)
    seq = models.BigIntegerField(editable=False)
    text = models.TextField(null=True, blank=True)
    voice = models.FileField(upload_to=UnguessablePath("voice"), null=True, blank=True, max_length=255)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Pinned in its chat (docs/api-chats.md, "Pins"): when and by whom; NULL when not pinned.
    pinned_at = models.DateTimeField(null=True, blank=True, editable=False)
    pinned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # A forwarded message: where it came from (the original's, when forwarding a forward). The chat is shown only
    # to viewers who are members of it (messages.selectors).
    forwarded_from_sender = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False
    )
    forwarded_from_chat = models.ForeignKey(
        Chat, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False
    )
    forwarded_from_created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The sender's `Idempotency-Key` (docs/api-chats.md, "Sending again"): a send repeated with it answers the
    # message it made instead of making another.
    client_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # Full-text search (docs/api-chats.md, "Search"): the text's lexemes stemmed by both the Russian and the English
    # dictionaries, written by PostgreSQL itself whenever the text changes.
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="russian") + SearchVector("text", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-seq"]
        # The unique (chat, seq) index is the one every message query in a chat walks.
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="message_chat_seq_uniq"),
            # Only keyed sends are indexed (most have no key).
            models.UniqueConstraint(
                fields=["sender", "client_key"],
                name="message_sender_client_key_uniq",
                condition=models.Q(client_key__isnull=False),
            ),
        ]
        indexes = [
            # A chat's pins, latest first (the pin list and the chat's `pinned_message`): only pinned rows.
            models.Index(
                fields=["chat", "-pinned_at"], name="message_chat_pins_idx", condition=models.Q(pinned_at__isnull=False)
            ),
            GinIndex(fields=["search_vector"], name="message_search_idx"),
            # A user's messages (deleting the user), and in a chat: whether a user whose name matches the message
            # list's `?search=` sent any there, and which of its messages they sent.
            models.Index(fields=["sender", "chat"], name="message_sender_chat_idx"),
            # Deleting a user or a chat clears the forwards that name it: only forwarded rows are indexed.
            models.Index(
                fields=["forwarded_from_sender"],
                name="message_forward_sender_idx",
                condition=models.Q(forwarded_from_sender__isnull=False),
            ),
            models.Index(
                fields=["forwarded_from_chat"],
                name="message_forward_chat_idx",
                condition=models.Q(forwarded_from_chat__isnull=False),
            ),
            # Newest first across chats: search walks it until it has its window of matches.
            models.Index(fields=["-created_at", "-id"], name="message_created_idx"),
            # (Migration 0005 also adds a trigram index on UPPER(text) for partial words: `icontains`.)
        ]

    def __str__(self) -> str:
        return f"message {self.seq} in {self.chat_id}"


class MessageFile(models.Model):
    """An attached file. Images also have their displayed size and a thumbnail (uploads.thumbnails). A forwarded
    message's rows name the same stored files as the original's: a file is deleted when no row names it any more
    (uploads.cleanup.release_files)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    item = models.FileField(upload_to=UnguessablePath("attachments"), max_length=255)
    # The name it was uploaded under (the stored name is unguessable), for clients to show and save it by.
    name = models.CharField(max_length=255)
    thumbnail = models.FileField(upload_to=UnguessablePath("thumbnails"), max_length=255, null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.item.name


class Reaction(models.Model):
    """One user's emoji on a message (unique per message, emoji and user). A message shows them aggregated per
    emoji (messages.selectors: a column of the page's one query)."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions", db_index=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Leads with the message: the aggregate of a message's reactions walks it.
        constraints = [
            models.UniqueConstraint(fields=["message", "emoji", "user"], name="reaction_message_emoji_user_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"


class Mention(models.Model):
    """`@username` of a member in a message's text. `chat` and `seq` repeat the message's, so a member's unread
    mentions in a chat are an index range after their read pointer (exact whatever is sent or read meanwhile: they
    are counted from committed rows, never kept in a counter)."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_message_user_uniq")]
        indexes = [
            # Unread mentions of a user in a chat: seq after the pointer.
            models.Index(fields=["user", "chat", "seq"], name="mention_unread_idx"),
            # A user's mentions across chats, newest first.
            models.Index(fields=["user", "-created_at"], name="mention_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.message_id}"
