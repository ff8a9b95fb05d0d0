"""Every write on messages and read state. Each function is one transaction, checks its own rules (membership,
authorship) and queues one realtime event for all recipients inside it, through the event catalogue
(messages/events.py): `{"event": ..., "message": <the REST message>}` on each member's personal channel, or once
on the chat's own channel in a group bigger than the contract allows (chats.selectors.message_audience).

Read state (docs/api-chats.md, "Read state"): each membership keeps a read pointer (`last_read_seq`) and the
number of seqs after it that are not unread for that member (`skipped_after`: their own messages, deleted ones);
the unread count is `chat.last_seq - last_read_seq - skipped_after`. A send writes the chat row and its sender's
membership only; reading a chat's unread count or a message's `was_read_by` never scans its history.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import emoji as emoji_data
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from application.errors import Conflict
from application.ids import AnyId
from application.model_fields import table_fields
from application.shapes import RenderContext, Rendered
from centrifugo.events import Audience, EventKind
from chats.models import Chat, Membership
from chats.selectors import membership_get, message_audience, parse_uuid, raise_not_member_or_missing, read_audience
from chats.services import publish_unread_totals
from messages.events import MESSAGE_CREATE, MESSAGE_DELETE, MESSAGE_READ, MESSAGE_UPDATE, MESSAGES_READ_ALL
from messages.models import Mention, Message, MessageFile, Reaction
from messages.selectors import forward_audiences, message_get_for_user, message_row
from messages.shapes import FileRow, MessageRow, ReadAllResultRow, ReadAllResultShape, ReadAllRow, ReplyRow
from uploads.cleanup import release_files_on_commit
from uploads.paths import display_name
from uploads.thumbnails import image_info
from users.models import User


@dataclass
class MessageWrite:
    """What a write changed and what it told: `data` is the published `message` (the REST representation)."""

    row: MessageRow | None
    data: dict[str, Any]
    channels: list[str] = field(default_factory=list)
    changed: bool = True


# ----------------------------------------------------------------------------------------------------------- send
@transaction.atomic
def message_create(
    *,
    sender: User,
    chat_id: AnyId,
    text: str | None = None,
    voice: UploadedFile | None = None,
    files: Sequence[UploadedFile] = (),
    reply_to: AnyId | None = None,
    client_key: str | None = None,
) -> MessageWrite:
    """Send a message (the sender must be a member). With `client_key` (the request's `Idempotency-Key`), a send
    the sender already made with that key answers that message (`changed` False: nothing is stored or told again);
    the key names one message (409 for another chat or text).

    Everything slow happens before the chat row is locked: storing the voice and files, rendering the event.
    Then one statement takes the chat's next seq, inserts the message and counts it as skipped for its sender
    (for everybody else it is unread by the chat's new `last_seq` alone); the lock is held from there to the
    commit only, which is what bounds the send rate of one busy chat. That statement also checks the
    membership, so a plain text message costs no query before it; uploads and replies are checked first, so
    nothing is stored, and no message id confirmed, for a non-member.
    """
    chat_uuid = parse_uuid(chat_id)
    if voice or files or reply_to or client_key:
        membership_get(sender, chat_uuid)
    if not (text or voice or files):
        raise ValidationError({"non_field_errors": [_("A message needs text, a voice recording or files.")]})
    if client_key:
        sent = _sent_before(sender, chat_uuid, client_key, text or None)
        if sent is not None:
            return sent
    now = timezone.now()
    parent = _reply_target(chat_uuid, reply_to)
    message = Message(
        chat_id=chat_uuid,
        sender=sender,
        seq=0,  # provisional (the payload does not show it): the write below assigns it
        text=text or None,
        voice=voice,
        reply_to=parent,
        created_at=now,
        updated_at=now,
        client_key=client_key or None,
    )
    columns = _insert_columns(message)  # stores the voice recording
    # Foreign keys are checked at commit, so the files' rows may precede their message's.
    attachments = [_attachment(message, upload) for upload in files]
    if attachments:
        # Stores the files and thumbnails: `item.name` is the stored name.
        MessageFile.objects.bulk_create(attachments)
    # The event is rendered from memory (the sender as authenticated in this request), not read back; nobody's
    # pointer can reach a seq that did not exist yet, so `was_read_by` is empty.
    row = MessageRow(
        id=message.pk,
        chat_id=chat_uuid,
        seq=0,
        sender=sender,
        text=message.text,
        voice=message.voice.name or None,
        files=[
            FileRow(
                attachment.item.name,
                attachment.name,
                attachment.thumbnail.name or None,
                attachment.width,
                attachment.height,
            )
            for attachment in attachments
        ],
        reply_to=None
        if parent is None
        else ReplyRow(parent.pk, parent.text, parent.voice.name or None, parent.sender, parent.created_at),
        created_at=now,
        updated_at=now,
    )
    mentioned = mentioned_members(chat_uuid, message.text, sender.pk)
    row.mentions = mentioned
    event = MESSAGE_CREATE.render(RenderContext(now), message=row)
    seq = _write(message, columns)
    if seq is None:  # not a member (403), or no such chat (404); nothing was written
        raise_not_member_or_missing(chat_uuid)
    row.seq = seq
    _mention(message, seq, mentioned)
    # The members are read after the chat row is locked (a statement of its own, so its snapshot is taken after
    # the lock): somebody added meanwhile is told, as their pointer is before this message. A big group's
    # members hear of it on the chat's own channel (one publication), the others on their personal channels.
    channels = MESSAGE_CREATE.send(message_audience(chat_uuid), event)
    return MessageWrite(row=row, data=event["message"], channels=channels)


def _sent_before(sender: User, chat_id: uuid.UUID, client_key: str, text: str | None) -> MessageWrite | None:
    """The message `sender` already sent with this key, if any. A transaction-scoped lock on the key makes a
    second send with it, arriving while the first is still being written, wait for the first and find it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"send:{sender.pk}:{client_key}"])
    sent = Message.objects.filter(sender=sender, client_key=client_key).values_list("pk", "chat_id", "text").first()
    if sent is None:
        return None
    pk, sent_chat, sent_text = sent
    if sent_chat != chat_id or sent_text != text:
        raise Conflict(_("This Idempotency-Key was used for another message."), code="idempotency_key_reused")
    context = RenderContext()
    row = message_row(pk, context, sender)
    return MessageWrite(row=row, data=MESSAGE_CREATE.render(context, message=row)["message"], changed=False)


def _attachment(message: Message, upload: UploadedFile) -> MessageFile:
    """A file's row; an image gets its displayed size and a thumbnail."""
    info = image_info(upload)
    name = display_name(upload.name)
    if info is None:
        return MessageFile(message=message, item=upload, name=name)
    return MessageFile(
        message=message, item=upload, name=name, thumbnail=info.thumbnail, width=info.width, height=info.height
    )


# `@username`: not inside a word or an e-mail address (`a@b.c`); the name as Django's username validator allows it.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")


def mentioned_members(chat_id: uuid.UUID, text: str | None, sender_id: uuid.UUID) -> list[uuid.UUID]:
    """The members of the chat (not the sender) whose username (in any case) the text names as `@username`; no
    query unless the text has an `@`. A trailing `.` or `-` ends a sentence, not the name."""
    if not text or "@" not in text:
        return []
    names = set()
    for name in _MENTION.findall(text):
        names |= {name.lower(), name.rstrip(".-").lower()}
    names.discard("")
    if not names:
        return []
    found = (
        Membership.objects.filter(chat_id=chat_id)
        .exclude(user_id=sender_id)
        .annotate(name=Lower("user__username"))
        .filter(name__in=names)
        .order_by("joined_at", "id")
        .values_list("user_id", flat=True)
    )
    return list(found)


def _mention(message: Message, seq: int, users: list[uuid.UUID]) -> None:
    if users:
        Mention.objects.bulk_create(
            [
                Mention(
                    message_id=message.pk,
                    user_id=user_id,
                    chat_id=message.chat_id,
                    seq=seq,
                    created_at=message.created_at,
                )
                for user_id in users
            ]
        )


def _insert_columns(message: Message) -> dict[str, Any]:
    """The message's columns as its INSERT writes them (what `Model.save` would send; `seq` comes later).
    File fields store their upload here, as `save()` does."""
    values = {}
    for model_field in table_fields(Message):
        if model_field.attname != "seq" and not model_field.generated:
            value = model_field.pre_save(message, add=True)
            values[connection.ops.quote_name(model_field.column)] = model_field.get_db_prep_save(value, connection)
    return values


# One statement: the chat row is updated first, and only if the sender is a member (its lock orders concurrent
# sends); the message takes the seq it returns; only then is the sender's membership counted (`EXISTS (SELECT 1
# FROM message)` makes it wait for the insert). Nobody else's row is written: their unread counts follow from the
# chat's `last_seq`.
_SEND_SQL = (
    "WITH chat AS ("
    "UPDATE {chat} SET last_seq = last_seq + 1, message_count = message_count + 1, "
    "last_message_id = %(id)s, last_activity_at = %(now)s WHERE id = %(chat_id)s "
    "AND EXISTS (SELECT 1 FROM {membership} WHERE chat_id = %(chat_id)s AND user_id = %(sender_id)s) "
    "RETURNING last_seq), "
    "message AS (INSERT INTO {message} ({columns}, {seq}) SELECT {values}, last_seq FROM chat RETURNING {seq}), "
    "sender AS ("
    "UPDATE {membership} SET skipped_after = skipped_after + 1 "
    "WHERE chat_id = %(chat_id)s AND user_id = %(sender_id)s AND EXISTS (SELECT 1 FROM message)) "
    "SELECT {seq} FROM message"
)


def _write(message: Message, columns: dict[str, Any]) -> int | None:
    """Run the send statement: the message's seq (None when the sender is not a member or the chat is gone)."""
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
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _reply_target(chat_id: uuid.UUID, reply_to: AnyId | None) -> Message | None:
    if not reply_to:
        return None
    try:
        reply_uuid: uuid.UUID | None = parse_uuid(reply_to)
    except NotFound:
        reply_uuid = None
    parent = (
        Message.objects.filter(pk=reply_uuid, chat_id=chat_id).select_related("sender").first() if reply_uuid else None
    )
    if parent is None:
        raise ValidationError({"reply_to": [_("Reply to a message of the same chat.")]})
    return parent


# ---------------------------------------------------------------------------------------------- edit and delete
@transaction.atomic
def message_update(*, actor: User, message_id: AnyId, text: str | None) -> MessageWrite:
    """Change a message's text (its sender, a member of the chat). Text may only be emptied when the message still
    has a voice recording or files; `updated_at` moves."""
    message, _membership = message_get_for_user(actor, message_id)
    if message.sender_id != actor.pk:
        raise PermissionDenied(_("Only the sender can change this message."))
    return _change_text(message, text, actor)


@transaction.atomic
def message_moderate_update(*, message_id: AnyId, text: str | None) -> MessageWrite:
    """Change any message's text (moderators, through the admin), with the same rules and event as the sender's."""
    message = Message.objects.filter(pk=parse_uuid(message_id)).first()
    if message is None:
        raise NotFound()
    return _change_text(message, text)


def message_text_check(message: Message, text: str | None) -> None:
    """The rule of an edit: the text may only be emptied while the message keeps a voice recording or files (400
    on `text`). The admin's form asks it too, so a moderator sees the error on the field."""
    if not text and not message.voice and not MessageFile.objects.filter(message=message).exists():
        raise ValidationError({"text": [_("A message needs text, a voice recording or files.")]})


def _change_text(message: Message, text: str | None, actor: User | None = None) -> MessageWrite:
    # Locked: a later event about this message cannot commit first, and its mentions cannot outlive it.
    _lock_message(message)
    message_text_check(message, text)
    Message.objects.filter(pk=message.pk).update(text=text or None, updated_at=timezone.now())
    # Mentions follow the text: names removed are no longer mentioned, names added are.
    Mention.objects.filter(message=message).delete()
    _mention(message, message.seq, mentioned_members(message.chat_id, text, message.sender_id))
    context = RenderContext()
    row = message_row(message.pk, context, actor)
    data, channels = publish_message(MESSAGE_UPDATE, row, context, actor=actor)
    return MessageWrite(row=row, data=data["message"], channels=channels)


@transaction.atomic
def message_delete(*, actor: User, message_id: AnyId) -> MessageWrite:
    """Delete a message (its sender, a member of the chat) and, once committed, its files."""
    message, _membership = message_get_for_user(actor, message_id)
    if message.sender_id != actor.pk:
        raise PermissionDenied(_("Only the sender can delete this message."))
    return _message_destroy(message)


@transaction.atomic
def message_moderate_delete(*, message_id: AnyId) -> MessageWrite:
    """Delete any message (moderators, through the admin), with the same bookkeeping and event as the sender's."""
    message = Message.objects.filter(pk=parse_uuid(message_id)).select_related("chat").first()
    if message is None:
        raise NotFound()
    return _message_destroy(message)


def _message_destroy(message: Message) -> MessageWrite:
    """Members who had not read the message skip its seq now (their unread count drops; for its sender it was
    skipped already); the chat's last_message falls back to the previous message; the event carries the message
    as it was."""
    chat_id = message.chat_id
    # Lock the chat row first, as message_create does, so counters cannot interleave.
    Chat.objects.filter(pk=chat_id).update(message_count=F("message_count") - 1)
    # Then the message, before anything that names it is collected: a reaction or mention added meanwhile is
    # committed by then, and deleted with it (or this waits for it).
    if not Message.objects.select_for_update().filter(pk=message.pk).exists():
        raise NotFound(_("Unknown message."))  # deleted meanwhile (rolled back with the count above)
    context = RenderContext()
    row = message_row(message.pk, context)
    Membership.objects.filter(chat_id=chat_id, last_read_seq__lt=message.seq).exclude(user_id=message.sender_id).update(
        skipped_after=F("skipped_after") + 1
    )
    was_last = Chat.objects.filter(pk=chat_id, last_message_id=message.pk).exists()
    message.delete()
    if was_last:
        previous = Message.objects.filter(chat=OuterRef("pk")).order_by("-seq").values("pk")[:1]
        Chat.objects.filter(pk=chat_id).update(last_message=Subquery(previous))
    names = [row.voice, *(name for file in row.files for name in (file.item, file.thumbnail))]
    # A forwarded copy (or the original) may share them: only the files nothing names any more go.
    release_files_on_commit([(default_storage, name) for name in names if name])
    data, channels = publish_message(MESSAGE_DELETE, row, context)
    return MessageWrite(row=None, data=data["message"], channels=channels)


# ----------------------------------------------------------------------------------------------------- read state
@transaction.atomic
def message_read(*, actor: User, message_id: AnyId) -> MessageWrite:
    """Mark a message, and everything before it, read by `actor` (a member other than the sender).

    Moves the read pointer forward only, then recounts what it skips after it: the seqs up to the chat's
    `last_seq` minus the others' messages there (an index range on (chat, seq), usually a handful of rows), both
    read by the one UPDATE, so from one snapshot. Reading an already-read message changes nothing and tells
    nobody.
    """
    # The pointer row is locked before the recount, so the reader's own message sent meanwhile is either seen by
    # the recount or skipped by its own increment after this commits; a deletion likewise.
    message, membership = message_get_for_user(actor, message_id, lock_membership=True)
    if message.sender_id == actor.pk:
        raise PermissionDenied(_("You cannot mark your own message as read."))
    changed = message.seq > membership.last_read_seq
    if changed:
        last_seq = Chat.objects.filter(pk=OuterRef("chat_id")).values("last_seq")[:1]
        unread = Coalesce(Subquery(_unread_after(message.seq, actor)), Value(0))
        Membership.objects.filter(pk=membership.pk).update(
            last_read_seq=message.seq, skipped_after=Subquery(last_seq) - Value(message.seq) - unread
        )
    context = RenderContext()
    row = message_row(message.pk, context, actor)
    if not changed:
        return MessageWrite(row=row, data=MESSAGE_READ.render(context, message=row)["message"], changed=False)
    publish_unread_totals(actor, message.chat_id)
    audience = read_audience(message.chat_id, actor.pk)
    data, channels = publish_message(MESSAGE_READ, row, context, actor=actor, audience=audience)
    return MessageWrite(row=row, data=data["message"], channels=channels)


def _unread_after(seq: int, reader: User) -> Any:
    return (
        Message.objects.filter(chat=OuterRef("chat"), seq__gt=seq)
        .exclude(sender=reader)
        .order_by()
        .values("chat")
        .annotate(n=Count("pk"))
        .values("n")
    )


# The pointer moves to the chat's last seq as the UPDATE sees it (a send committing meanwhile stays unread).
_READ_ALL_SQL = (
    f"UPDATE {Membership._meta.db_table} AS m SET last_read_seq = c.last_seq, skipped_after = 0 "
    f"FROM {Chat._meta.db_table} AS c WHERE m.id = %s AND c.id = m.chat_id RETURNING m.last_read_seq"
)


@transaction.atomic
def messages_read_all(*, actor: User, chat_id: AnyId) -> MessageWrite:
    """Mark everything in a chat read by `actor` (a member) with ONE UPDATE (pointer to the chat's last seq,
    nothing skipped after it); `data` is the answer, `{"chat", "user", "count"}`.

    The membership row is locked first: a message being sent concurrently either committed before (and is
    covered by the pointer) or commits after (and is unread by the chat's `last_seq` moving past the pointer).
    The same lock keeps `skipped_after` still (the actor's own sends and deletions after the pointer write it), so
    the count is the unread count the pointer passed. The `read_all` event lists the ids: the relay writes them
    from the seq range (MESSAGES_READ_ALL.complete), not this request.
    """
    membership = membership_get(actor, chat_id, for_update=True)
    with connection.cursor() as cursor:
        cursor.execute(_READ_ALL_SQL, [membership.pk])
        (read_seq,) = cursor.fetchone()
    count = read_seq - membership.last_read_seq - membership.skipped_after
    result = ReadAllResultRow(chat=membership.chat_id, user=actor.pk, count=count)
    data = ReadAllResultShape.render(result, RenderContext())
    if not count:
        return MessageWrite(row=None, data=data, changed=False)
    publish_unread_totals(actor, membership.chat_id)
    _event, channels = MESSAGES_READ_ALL.publish(
        read_audience(membership.chat_id, actor.pk),
        deferred={"after_seq": membership.last_read_seq, "upto_seq": read_seq},
        message=ReadAllRow(chat=membership.chat_id, user=actor.pk, messages=Rendered(b"[]")),
    )
    return MessageWrite(row=None, data=data, channels=channels)


# ------------------------------------------------------------------------------------------------ reactions, pins
def emoji_check(value: object) -> str:
    """One emoji (a single grapheme: a character with its variation selector and skin tone, a ZWJ sequence, a
    flag, a keycap), as Unicode's emoji data lists them; anything else is a 400 on `emoji`."""
    if not isinstance(value, str) or not emoji_data.is_emoji(value):
        raise ValidationError({"emoji": [_("Send exactly one emoji.")]})
    return value


@transaction.atomic
def message_react(*, actor: User, message_id: AnyId, emoji: str, active: bool | None = None) -> MessageWrite:
    """Toggle `actor`'s `emoji` on a message (a member of its chat); `active` sets it on or off instead. At most
    MESSAGE_MAX_REACTIONS distinct emojis per message. No change, no event; a change is the contract's `update`
    with the whole message."""
    emoji = emoji_check(emoji)
    message, _membership = message_get_for_user(actor, message_id)
    # Locked: the distinct-emoji limit holds under concurrent reactions, and events about this message commit in
    # order.
    _lock_message(message)
    mine = Reaction.objects.filter(message=message, user=actor, emoji=emoji)
    exists = mine.exists()
    wanted = not exists if active is None else active
    if wanted and not exists:
        used = set(Reaction.objects.filter(message=message).values_list("emoji", flat=True).distinct())
        limit = settings.CONSTANTS.MESSAGE_MAX_REACTIONS
        if emoji not in used and len(used) >= limit:
            raise ValidationError(
                {"emoji": [_("A message has at most %(limit)d different reactions.") % {"limit": limit}]}
            )
        Reaction.objects.create(message=message, user=actor, emoji=emoji)
    elif exists and not wanted:
        mine.delete()
    return _updated(message, changed=wanted != exists, actor=actor)


@transaction.atomic
def reaction_moderate_delete(*, reaction_id: int) -> MessageWrite:
    """Remove any reaction (moderators, through the admin); the members get the message's `update`."""
    reaction = Reaction.objects.select_related("message").filter(pk=reaction_id).first()
    if reaction is None:
        raise NotFound()
    _lock_message(reaction.message)
    reaction.delete()
    return _updated(reaction.message, changed=True)


@transaction.atomic
def message_pin(*, actor: User, message_id: AnyId, pinned: bool = True) -> MessageWrite:
    """Pin a message in its chat, or unpin it (`pinned=False`): any member of a private chat, a group's creator.
    Pinning again moves it to the top of the pins. An unpin of a message that is not pinned changes nothing."""
    message, membership = message_get_for_user(actor, message_id)
    chat = membership.chat
    if not chat.is_private and chat.creator_id != actor.pk:
        raise PermissionDenied(_("Only the creator can pin messages in this group."))
    _lock_message(message)  # events about it commit in order
    if not pinned and message.pinned_at is None:
        return _updated(message, changed=False, actor=actor)
    Message.objects.filter(pk=message.pk).update(
        pinned_at=timezone.now() if pinned else None, pinned_by=actor if pinned else None
    )
    return _updated(message, changed=True, actor=actor)


@transaction.atomic
def message_moderate_unpin(*, message_id: AnyId) -> MessageWrite:
    """Unpin any message (moderators, through the admin)."""
    message = Message.objects.filter(pk=parse_uuid(message_id)).first()
    if message is None:
        raise NotFound()
    changed = bool(
        Message.objects.filter(pk=message.pk, pinned_at__isnull=False).update(pinned_at=None, pinned_by=None)
    )
    return _updated(message, changed=changed)


def _lock_message(message: Message) -> None:
    """Lock a message before changing it or adding rows that name it (reactions, mentions), in the order every
    writer takes: its chat first (FOR KEY SHARE: sends and other changes go on; a deletion of the chat waits for
    this, or went first), then the message (a deletion of the message waits, or went first). 404 when it is gone."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Chat._meta.db_table} WHERE id = %s FOR KEY SHARE", [message.chat_id])
        cursor.execute(f"SELECT 1 FROM {Message._meta.db_table} WHERE id = %s FOR UPDATE", [message.pk])
        if cursor.fetchone() is None:
            raise NotFound(_("Unknown message."))


def _updated(message: Message, *, changed: bool, actor: User | None = None) -> MessageWrite:
    """The message as it is now (as `actor` sees it); when it changed, the contract's `update` event to the chat's
    members."""
    context = RenderContext()
    row = message_row(message.pk, context, actor)
    if not changed:
        return MessageWrite(row=row, data=MESSAGE_UPDATE.render(context, message=row)["message"], changed=False)
    data, channels = publish_message(MESSAGE_UPDATE, row, context, actor=actor)
    return MessageWrite(row=row, data=data["message"], channels=channels)


def publish_message(
    kind: EventKind,
    row: MessageRow,
    context: RenderContext,
    *,
    actor: User | None = None,
    audience: Audience | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Publish a message event to the members of its chat (or `audience`): one publication, or, for a forwarded
    message, one for the members of its original chat (who see that chat) and one for the others. Returns the
    data as `actor` sees it (when given) and every channel told. A big group's members hear it once, on the
    chat's channel: the same payload for all, so a forward's original chat is not shown there (REST shows it to
    its members)."""
    audience = audience or message_audience(row.chat_id)
    if audience.chat is not None:
        if row.forwarded_from is not None:
            row.forwarded_from.chat = None
        return kind.publish(audience, context, message=row)
    channels: list[str] = []
    data: dict[str, Any] | None = None
    mine: dict[str, Any] | None = None
    for chat, users in forward_audiences(row, list(audience.users)):
        if row.forwarded_from is not None:
            row.forwarded_from.chat = chat
        data, sent = kind.publish(users, context, message=row)
        channels += sent
        if actor is not None and actor.pk in users:
            mine = data
    return mine or data or kind.render(context, message=row), channels


# ------------------------------------------------------------------------------------------------------ forwarding
@transaction.atomic
def messages_forward(*, actor: User, chat_id: AnyId, message_ids: Sequence[AnyId]) -> list[MessageWrite]:
    """Forward messages of chats `actor` is in to a chat `actor` is in (up to MESSAGE_MAX_FORWARD), oldest first:
    each becomes a new message of `actor` with the original's text, voice and files — the same stored files, not
    copies — and `forwarded_from` (the original sender, chat and time; a forward of a forward keeps the first
    origin). Unknown messages, or messages of chats `actor` is not in, are 404; nothing is sent then."""
    target = membership_get(actor, chat_id).chat_id
    limit = settings.CONSTANTS.MESSAGE_MAX_FORWARD
    # Counted as given, repeats included (so a request's size is bounded too); a repeated id is forwarded once.
    if not 1 <= len(message_ids) <= limit:
        raise ValidationError({"messages": [_("Forward from 1 to %(limit)d messages.") % {"limit": limit}]})
    ids = list(dict.fromkeys(parse_uuid(message_id) for message_id in message_ids))
    # Locks in the order every writer takes them, chats before their messages (else a deletion in the same chat
    # deadlocks with this): the target chat (its seqs are taken for the copies), the chats the copies will name
    # (FOR KEY SHARE: sends go on, a deletion of one waits), then the originals FOR SHARE: a deletion of one waits
    # until this commits (and then sees that the copies share its files), or committed before (and it is not found).
    chat, message = Chat._meta.db_table, Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {chat} WHERE id = %s FOR NO KEY UPDATE", [target])
        cursor.execute(
            f"SELECT 1 FROM {chat} WHERE id IN (SELECT chat_id FROM {message} WHERE id = ANY(%(ids)s) UNION "
            f"SELECT forwarded_from_chat_id FROM {message} WHERE id = ANY(%(ids)s)) ORDER BY id FOR KEY SHARE",
            {"ids": ids},
        )
        cursor.execute(f"SELECT 1 FROM {message} WHERE id = ANY(%s) FOR SHARE", [ids])
    sources = list(
        Message.objects.filter(pk__in=ids, chat__memberships__user=actor)
        .prefetch_related("files")
        .order_by("created_at", "id")
    )
    if len(sources) != len(ids):
        raise NotFound(_("Unknown message."))
    return [_forward(actor, target, source) for source in sources]


def _forward(actor: User, chat_id: uuid.UUID, source: Message) -> MessageWrite:
    now = timezone.now()
    forwarded = source.forwarded_from_created_at is not None
    message = Message(
        chat_id=chat_id,
        sender=actor,
        seq=0,
        text=source.text,
        voice=source.voice.name or None,  # the stored name: nothing is stored again
        created_at=now,
        updated_at=now,
        forwarded_from_sender_id=source.forwarded_from_sender_id if forwarded else source.sender_id,
        forwarded_from_chat_id=source.forwarded_from_chat_id if forwarded else source.chat_id,
        forwarded_from_created_at=source.forwarded_from_created_at if forwarded else source.created_at,
    )
    columns = _insert_columns(message)
    MessageFile.objects.bulk_create(
        [
            MessageFile(
                message=message,
                item=file.item.name,
                name=file.name,
                thumbnail=file.thumbnail.name or None,
                width=file.width,
                height=file.height,
            )
            for file in source.files.all()
        ]
    )
    seq = _write(message, columns)
    if seq is None:
        raise_not_member_or_missing(chat_id)
    context = RenderContext(now)
    row = message_row(message.pk, context, actor)
    data, channels = publish_message(MESSAGE_CREATE, row, context, actor=actor)
    return MessageWrite(row=row, data=data["message"], channels=channels)
