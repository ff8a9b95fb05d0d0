"""Every write on messages and read state. Each function is one transaction and queues one realtime publication
for all recipients inside it: `{"event": ..., "message": <the REST message>}` to each member's personal channel
(`str(user.id)`, as the contract says).

Read state (docs/api-chats.md, "Read state"): each membership keeps a read pointer (`last_read_seq`) and the
number of others' messages after it (`unread_count`). Writes keep both exact with set-based statements, so
reading a chat's unread count or a message's `was_read_by` never scans its history.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from centrifugo import outbox
from chats.models import Chat, Membership
from chats.selectors import membership_get, parse_uuid, raise_not_member_or_missing
from messages.models import Message, MessageFile
from messages.selectors import Readers, _for_serializer, message_get_for_user, message_readers
from messages.serializers import MessageSerializer, as_json
from uploads.cleanup import delete_files_on_commit
from users.models import User


@dataclass
class MessageWrite:
    """What a write changed and what it told: `data` is the published `message` (the REST representation)."""

    message: Message | None
    data: dict[str, Any]
    channels: list[str] = field(default_factory=list)
    changed: bool = True


def member_channels(chat_id: Any) -> list[str]:
    """Personal channels of every member: the user id, formatted as in the Centrifugo tokens."""
    return [str(pk) for pk in Membership.objects.filter(chat_id=chat_id).values_list("user_id", flat=True)]


def serialize(message: Message, readers: Readers | None = None) -> dict[str, Any]:
    """The message as REST returns it; `was_read_by` is the same for every viewer, so one payload serves all."""
    if readers is None:
        readers = message_readers([message])
    return as_json(MessageSerializer(message, context={"readers": readers}).data)


def _publish(event: str, data: dict[str, Any], chat_id: Any) -> list[str]:
    channels = member_channels(chat_id)
    outbox.publish(channels, {"event": event, "message": data})
    return channels


def _file_names(messages: Iterable[Message]) -> list[tuple[Any, str]]:
    names: list[tuple[Any, str]] = []
    for message in messages:
        if message.voice:
            names.append((message.voice.storage, message.voice.name))
        names.extend((f.item.storage, f.item.name) for f in message.files.all())
    return names


@transaction.atomic
def message_create(
    *,
    sender: User,
    chat_id: Any,
    text: str | None = None,
    voice: UploadedFile | None = None,
    files: Sequence[UploadedFile] = (),
    reply_to: Any = None,
) -> MessageWrite:
    """Send a message (the sender must be a member).

    Everything slow happens before the chat row is locked: storing the voice and files, serializing the event.
    Then one statement (on PostgreSQL) takes the chat's next seq, inserts the message and counts it unread for
    every other member; the lock is held from there to the commit only, which is what bounds the send rate of
    one busy chat. That statement also checks the membership, so a plain text message costs no query before it;
    uploads and replies are checked first, so nothing is stored, and no message id confirmed, for a non-member.
    """
    chat_uuid = parse_uuid(chat_id)
    if voice or files or reply_to:
        membership_get(sender, chat_uuid)
    if not (text or voice or files):
        raise ValidationError({"non_field_errors": [_("A message needs text, a voice recording or files.")]})
    now = timezone.now()
    # The message is serialized from memory (the sender as authenticated in this request), not read back.
    message = Message(
        chat_id=chat_uuid,
        sender=sender,
        seq=0,  # provisional (the payload does not show it): the write below assigns it
        text=text or None,
        voice=voice,
        reply_to=_reply_target(chat_uuid, reply_to),
        created_at=now,
        updated_at=now,
    )
    columns = _insert_columns(message)  # stores the voice recording
    # Foreign keys are checked at commit, so the files' rows may precede their message's.
    attachments = [MessageFile(message=message, item=upload) for upload in files]
    if attachments:
        MessageFile.objects.bulk_create(attachments)  # stores the files: `item.name` is the stored name
    _prefetched(message, "files", attachments)
    # Nobody's pointer can reach a seq that did not exist yet: was_read_by is empty, no query needed.
    data = serialize(message, readers={})
    seq, recipients = _write(message, columns)
    if seq is None:  # not a member (403), or no such chat (404); nothing was written
        raise_not_member_or_missing(chat_uuid)
    message.seq = seq
    message._state.adding = False
    channels = [str(sender.pk), *(str(pk) for pk in recipients)]
    outbox.publish(channels, {"event": "create", "message": data})
    return MessageWrite(message=message, data=data, channels=channels)


def _insert_columns(message: Message) -> dict[str, Any]:
    """The message's columns as its INSERT writes them (what `Model.save` would send; `seq` comes later).
    File fields store their upload here, as `save()` does."""
    values = {}
    for model_field in Message._meta.concrete_fields:
        if model_field.attname != "seq":
            value = model_field.pre_save(message, add=True)
            values[connection.ops.quote_name(model_field.column)] = model_field.get_db_prep_save(value, connection)
    return values


# One statement: the chat row is updated first, and only if the sender is a member (its lock orders concurrent
# sends); the message takes the seq it returns; only then are the other members' rows touched
# (`EXISTS (SELECT 1 FROM message)` makes that scan wait for the insert).
_SEND_SQL = (
    "WITH chat AS ("
    "UPDATE {chat} SET last_seq = last_seq + 1, message_count = message_count + 1, "
    "last_message_id = %(id)s, last_activity_at = %(now)s WHERE id = %(chat_id)s "
    "AND EXISTS (SELECT 1 FROM {membership} WHERE chat_id = %(chat_id)s AND user_id = %(sender_id)s) "
    "RETURNING last_seq), "
    "message AS (INSERT INTO {message} ({columns}, {seq}) SELECT {values}, last_seq FROM chat RETURNING {seq}), "
    "recipients AS ("
    "UPDATE {membership} SET unread_count = unread_count + 1 "
    "WHERE chat_id = %(chat_id)s AND user_id <> %(sender_id)s AND EXISTS (SELECT 1 FROM message) RETURNING user_id) "
    "SELECT (SELECT {seq} FROM message), ARRAY(SELECT user_id FROM recipients)"
)


def _write(message: Message, columns: dict[str, Any]) -> tuple[int | None, list[uuid.UUID]]:
    """Run the send statement: the message's seq (None when the sender is not a member or the chat is gone) and
    the other members' ids."""
    params: dict[str, Any] = {f"c{i}": value for i, value in enumerate(columns.values())}
    sql = _SEND_SQL.format(
        chat=Chat._meta.db_table,
        message=Message._meta.db_table,
        membership=Membership._meta.db_table,
        columns=", ".join(columns),
        values=", ".join(f"%({name})s" for name in params),
        seq=connection.ops.quote_name("seq"),
    )
    params |= {"id": message.pk, "now": message.created_at, "chat_id": message.chat_id, "sender_id": message.sender_id}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        seq, recipients = cursor.fetchone()
    return seq, recipients


def _prefetched(instance: Any, name: str, objects: list[Any]) -> None:
    """Fill a relation's prefetch cache with objects at hand (as prefetch_related would), so reading it costs no
    query."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance._prefetched_objects_cache = {**getattr(instance, "_prefetched_objects_cache", {}), name: queryset}


def _reply_target(chat_id: Any, reply_to: Any) -> Message | None:
    if not reply_to:
        return None
    try:
        reply_uuid = uuid.UUID(str(reply_to))
    except ValueError:
        reply_uuid = None
    parent = (
        Message.objects.filter(pk=reply_uuid, chat_id=chat_id).select_related("sender").first() if reply_uuid else None
    )
    if parent is None:
        raise ValidationError({"reply_to": [_("Reply to a message of the same chat.")]})
    return parent


@transaction.atomic
def message_update(*, actor: User, message_id: Any, text: str | None) -> MessageWrite:
    """Change a message's text (the sender only); `updated_at` moves. Text may only be emptied when the
    message still has a voice recording or files."""
    message, _membership = message_get_for_user(actor, message_id)
    if message.sender_id != actor.pk:
        raise PermissionDenied(_("Only the sender can change this message."))
    if not text and not message.voice and not message.files.all():
        raise ValidationError({"text": [_("A message needs text, a voice recording or files.")]})
    message.text = text or None
    message.updated_at = timezone.now()
    message.save(update_fields=["text", "updated_at"])
    data = serialize(message)
    channels = _publish("update", data, message.chat_id)
    return MessageWrite(message=message, data=data, channels=channels)


@transaction.atomic
def message_delete(*, actor: User, message_id: Any) -> MessageWrite:
    """Delete a message (the sender only) and, once committed, its files."""
    message, _membership = message_get_for_user(actor, message_id)
    if message.sender_id != actor.pk:
        raise PermissionDenied(_("Only the sender can delete this message."))
    return _message_destroy(message)


@transaction.atomic
def message_moderate_delete(message: Message) -> MessageWrite:
    """Delete any message (moderators, through the admin), with the same bookkeeping and event as the sender's."""
    message = _for_serializer(Message.objects.filter(pk=message.pk).select_related("chat")).get()
    return _message_destroy(message)


def _message_destroy(message: Message) -> MessageWrite:
    """Members who had not read the message get their unread count back; the chat's last_message falls back
    to the previous message; the event carries the message as it was."""
    data = serialize(message)
    files = _file_names([message])
    chat_id = message.chat_id
    # Lock the chat row first, as message_create does, so counters cannot interleave.
    Chat.objects.filter(pk=chat_id).update(message_count=F("message_count") - 1)
    Membership.objects.filter(chat_id=chat_id, last_read_seq__lt=message.seq, unread_count__gt=0).exclude(
        user_id=message.sender_id
    ).update(unread_count=F("unread_count") - 1)
    was_last = message.chat.last_message_id == message.pk
    message.delete()
    if was_last:
        previous = Message.objects.filter(chat=OuterRef("pk")).order_by("-seq").values("pk")[:1]
        Chat.objects.filter(pk=chat_id).update(last_message=Subquery(previous))
    delete_files_on_commit(files)
    channels = _publish("delete", data, chat_id)
    return MessageWrite(message=None, data=data, channels=channels)


@transaction.atomic
def message_read(*, actor: User, message_id: Any) -> MessageWrite:
    """Mark a message, and everything before it, read by `actor` (a member other than the sender).

    Moves the read pointer forward only, then recounts the unread messages after it (an index range on
    (chat, seq), usually a handful of rows). Reading an already-read message changes nothing and tells nobody.
    """
    # The pointer row is locked before the recount, so a message sent meanwhile is either seen by the recount
    # or counted by its own increment after this commits.
    message, membership = message_get_for_user(actor, message_id, lock_membership=True)
    if message.sender_id == actor.pk:
        raise PermissionDenied(_("You cannot mark your own message as read."))
    changed = message.seq > membership.last_read_seq
    if changed:
        Membership.objects.filter(pk=membership.pk).update(
            last_read_seq=message.seq, unread_count=Coalesce(Subquery(_unread_after(message.seq, actor)), Value(0))
        )
    data = serialize(message)
    channels = _publish("read", data, message.chat_id) if changed else []
    return MessageWrite(message=message, data=data, channels=channels, changed=changed)


def _unread_after(seq: int, reader: User) -> Any:
    return (
        Message.objects.filter(chat=OuterRef("chat"), seq__gt=seq)
        .exclude(sender=reader)
        .order_by()
        .values("chat")
        .annotate(n=Count("pk"))
        .values("n")
    )


@transaction.atomic
def messages_read_all(*, actor: User, chat_id: Any) -> MessageWrite:
    """Mark everything in a chat read by `actor` with ONE UPDATE (pointer to the chat's last seq, count 0).

    The membership row is locked first: a message being sent concurrently either committed before (and is
    covered by the pointer) or waits for this transaction (and is counted unread afterwards) — never lost.
    """
    membership = membership_get(actor, chat_id, for_update=True)
    last_seq = Chat.objects.filter(pk=OuterRef("chat_id")).values("last_seq")[:1]
    Membership.objects.filter(pk=membership.pk).update(last_read_seq=Subquery(last_seq), unread_count=0)
    ids = list(
        Message.objects.filter(chat_id=membership.chat_id, seq__gt=membership.last_read_seq)
        .exclude(sender=actor)
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    data = {"chat": str(membership.chat_id), "user": str(actor.pk), "messages": [str(pk) for pk in ids]}
    channels = _publish("read_all", data, membership.chat_id) if ids else []
    return MessageWrite(message=None, data=data, channels=channels, changed=bool(ids))
