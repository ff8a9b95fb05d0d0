from __future__ import annotations

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
    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField(editable=False)
    text = models.TextField(null=True, blank=True)
    voice = models.FileField(upload_to=UnguessablePath("voice"), null=True, blank=True, max_length=255)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-seq"]
        # The unique (chat, seq) index is the one every message query in a chat walks.
        constraints = [models.UniqueConstraint(fields=["chat", "seq"], name="message_chat_seq_uniq")]

    def __str__(self) -> str:
        return f"message {self.seq} in {self.chat_id}"


class MessageFile(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    item = models.FileField(upload_to=UnguessablePath("attachments"), max_length=255)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.item.name
