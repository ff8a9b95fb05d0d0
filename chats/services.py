"""Every write on chats and memberships. Each function is one transaction and queues its realtime event inside it.

Chat events go to `chats:<user id>` of every affected user and carry only viewer-independent data
(`{"event": ..., "chat": {"id": ...}, ...}`): a private chat's title and avatar and the unread count differ
per viewer, so clients refetch `GET /api/chat/{id}/` (see docs/api-chats.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from centrifugo import outbox
from chats.models import Chat, Membership, private_key_for
from uploads.cleanup import delete_files_on_commit
from users.models import User

_UNSET: Any = object()


@dataclass
class ChatCreated:
    chat: Chat
    created: bool  # False: `fallback` returned the existing private chat
    channels: list[str] = field(default_factory=list)


@dataclass
class MembersChanged:
    chat: Chat
    added: list[uuid.UUID] = field(default_factory=list)
    removed: list[uuid.UUID] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)


def chat_channels(user_ids: Iterable[Any]) -> list[str]:
    return sorted({f"chats:{user_id}" for user_id in user_ids})


def _publish(event: str, chat_id: Any, user_ids: Iterable[Any], **extra: Any) -> list[str]:
    channels = chat_channels(user_ids)
    outbox.publish(channels, {"event": event, "chat": {"id": str(chat_id)}, **extra})
    return channels


def _member_ids(chat: Chat) -> list[uuid.UUID]:
    return list(Membership.objects.filter(chat=chat).values_list("user_id", flat=True))


def _resolve_users(ids: Iterable[Any], *, field_name: str = "members") -> list[User]:
    wanted: list[uuid.UUID] = []
    for raw in ids:
        try:
            wanted.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except ValueError as exc:
            raise ValidationError({field_name: [_("Unknown user: %(id)s.") % {"id": raw}]}) from exc
    found = {u.pk: u for u in User.objects.filter(pk__in=set(wanted), is_active=True)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({field_name: [_("Unknown user: %(id)s.") % {"id": missing[0]}]})
    return list({pk: found[pk] for pk in wanted}.values())


def _check_group_size(count: int) -> None:
    limit = settings.CONSTANTS.GROUP_MAX_MEMBERS
    if count > limit:
        raise ValidationError({"members": [_("A group has at most %(limit)d members.") % {"limit": limit}]})


def _add_memberships(chat: Chat, users: Iterable[User], *, read_up_to: int) -> None:
    # A newcomer starts with the history read: their badge counts what arrives after they joined.
    now = timezone.now()
    Membership.objects.bulk_create(
        [Membership(chat=chat, user=u, joined_at=now, last_read_seq=read_up_to) for u in users]
    )


def _lock(chat: Chat) -> Chat:
    return Chat.objects.select_for_update().get(pk=chat.pk)


def _require_group_creator(chat: Chat, actor: User) -> None:
    if chat.is_private:
        raise PermissionDenied(_("Private chats cannot be changed."))
    if chat.creator_id != actor.pk:
        raise PermissionDenied(_("Only the creator can change this chat."))


def _private_exists(fallback: bool, key: str) -> ChatCreated:
    existing = Chat.objects.get(private_key=key)
    if fallback:
        return ChatCreated(chat=existing, created=False)
    raise ValidationError({"members": [_("A private chat with this user already exists.")]})


@transaction.atomic
def chat_create(
    *,
    creator: User,
    members: Iterable[Any] = (),
    is_private: bool = False,
    title: str | None = "",
    avatar: UploadedFile | None = None,
    text: str | None = None,
    fallback: bool = False,
) -> ChatCreated:
    """Create a private chat (the creator and exactly one other user, unique per pair) or a group (the creator
    is always a member). `fallback` returns the existing private chat instead of a 400 on `members`; `text`
    sends an opening message in the same transaction."""
    others = [u for u in _resolve_users(members) if u.pk != creator.pk]
    if is_private:
        if len(others) != 1:
            raise ValidationError({"members": [_("A private chat has exactly one other member.")]})
        key = private_key_for(creator.pk, others[0].pk)
        if Chat.objects.filter(private_key=key).exists():
            return _private_exists(fallback, key)
        try:
            with transaction.atomic():  # a concurrent request may win the unique key
                chat = Chat.objects.create(is_private=True, private_key=key, creator=creator)
        except IntegrityError:
            return _private_exists(fallback, key)
    else:
        _check_group_size(1 + len(others))
        chat = Chat.objects.create(title=title or "", avatar=avatar, creator=creator)
    users = [creator, *others]
    _add_memberships(chat, users, read_up_to=0)
    channels = _publish("chat_create", chat.pk, [u.pk for u in users])
    if text:
        from messages.services import message_create

        message_create(sender=creator, chat_id=chat.pk, text=text)
    return ChatCreated(chat=chat, created=True, channels=channels)


@transaction.atomic
def chat_update(
    chat: Chat,
    *,
    actor: User,
    title: str | None = _UNSET,
    avatar: UploadedFile | None = _UNSET,
    members: Iterable[Any] | None = _UNSET,
) -> MembersChanged:
    """Change a group's title, avatar (None removes it) or its whole member list (the creator stays)."""
    _require_group_creator(chat, actor)
    chat = _lock(chat)
    old_avatar = chat.avatar.name if chat.avatar else None
    if title is not _UNSET:
        chat.title = title or ""
    if avatar is not _UNSET:
        chat.avatar = avatar
    before = set(_member_ids(chat))
    added: list[User] = []
    removed: set[uuid.UUID] = set()
    if members is not _UNSET and members is not None:
        wanted = {u.pk: u for u in _resolve_users(members)}
        wanted.setdefault(actor.pk, actor)
        _check_group_size(len(wanted))
        added = [u for pk, u in wanted.items() if pk not in before]
        removed = before - wanted.keys()
        Membership.objects.filter(chat=chat, user_id__in=removed).delete()
        _add_memberships(chat, added, read_up_to=chat.last_seq)
    chat.updated_at = timezone.now()
    chat.save()
    new_avatar = chat.avatar.name if chat.avatar else None
    if old_avatar and old_avatar != new_avatar:
        delete_files_on_commit([(chat.avatar.storage, old_avatar)])
    added_ids = [u.pk for u in added]
    channels = _publish(
        "chat_update",
        chat.pk,
        before | set(added_ids),
        members_added=sorted(str(pk) for pk in added_ids),
        members_removed=sorted(str(pk) for pk in removed),
    )
    return MembersChanged(chat=chat, added=added_ids, removed=sorted(removed), channels=channels)


@transaction.atomic
def chat_member_add(chat: Chat, *, actor: User, users: Iterable[Any]) -> MembersChanged:
    """Add members to a group (creator only); users already in it are left alone."""
    _require_group_creator(chat, actor)
    chat = _lock(chat)
    before = set(_member_ids(chat))
    added = [u for u in _resolve_users(users, field_name="user") if u.pk not in before]
    _check_group_size(len(before) + len(added))
    _add_memberships(chat, added, read_up_to=chat.last_seq)
    added_ids = [u.pk for u in added]
    channels: list[str] = []
    if added_ids:
        Chat.objects.filter(pk=chat.pk).update(updated_at=timezone.now())
        channels = _publish(
            "member_joined", chat.pk, before | set(added_ids), users=sorted(str(pk) for pk in added_ids)
        )
    return MembersChanged(chat=chat, added=added_ids, channels=channels)


@transaction.atomic
def chat_member_remove(chat: Chat, *, actor: User, user_id: Any) -> MembersChanged:
    """Remove one member from a group (creator only; the creator cannot be removed)."""
    _require_group_creator(chat, actor)
    chat = _lock(chat)
    try:
        target = uuid.UUID(str(user_id))
    except ValueError as exc:
        raise NotFound() from exc
    if target == chat.creator_id:
        raise ValidationError({"user": [_("The creator cannot be removed from the group.")]})
    before = set(_member_ids(chat))
    if target not in before:
        raise NotFound(_("This user is not a member of the chat."))
    Membership.objects.filter(chat=chat, user_id=target).delete()
    Chat.objects.filter(pk=chat.pk).update(updated_at=timezone.now())
    channels = _publish("member_left", chat.pk, before, users=[str(target)])
    return MembersChanged(chat=chat, removed=[target], channels=channels)


@transaction.atomic
def chat_leave(chat: Chat, *, actor: User) -> MembersChanged:
    """Leave a group. Private chats cannot be left (delete them); the creator cannot leave (delete the group)."""
    if chat.is_private:
        raise PermissionDenied(_("Private chats cannot be left."))
    if chat.creator_id == actor.pk:
        raise PermissionDenied(_("The creator cannot leave the group; delete it instead."))
    chat = _lock(chat)
    before = set(_member_ids(chat))
    Membership.objects.filter(chat=chat, user=actor).delete()
    channels = _publish("member_left", chat.pk, before, users=[str(actor.pk)])
    return MembersChanged(chat=chat, removed=[actor.pk], channels=channels)


@transaction.atomic
def chat_delete(chat: Chat, *, actor: User) -> list[str]:
    """Delete a chat with its messages and their files (either member of a private chat, a group's creator).
    Returns the channels told."""
    if not chat.is_private and chat.creator_id != actor.pk:
        raise PermissionDenied(_("Only the creator can delete this group."))
    return _chat_destroy(chat)


@transaction.atomic
def chat_moderate_delete(chat: Chat) -> list[str]:
    """Delete any chat (moderators, through the admin), files and events included."""
    return _chat_destroy(chat)


def _chat_destroy(chat: Chat) -> list[str]:
    from messages.models import Message, MessageFile

    member_ids = _member_ids(chat)
    files = [
        *(
            (MessageFile.item.field.storage, name)
            for name in MessageFile.objects.filter(message__chat=chat).values_list("item", flat=True)
        ),
        *(
            (Message.voice.field.storage, name)
            for name in Message.objects.filter(chat=chat)
            .exclude(voice="")
            .exclude(voice=None)
            .values_list("voice", flat=True)
        ),
    ]
    if chat.avatar:
        files.append((chat.avatar.storage, chat.avatar.name))
    # Set-based deletes: the ORM's collector would load every message of the chat into memory first.
    MessageFile.objects.filter(message__chat=chat).delete()
    Chat.objects.filter(pk=chat.pk).update(last_message=None)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Message._meta.db_table} WHERE chat_id = %s", [chat.pk])
    Membership.objects.filter(chat=chat).delete()
    Chat.objects.filter(pk=chat.pk).delete()
    delete_files_on_commit(files)
    return _publish("chat_delete", chat.pk, member_ids)


@transaction.atomic
def chats_forget_user(user: User) -> None:
    """Before a user is deleted: their private chats go; groups they created pass to the longest-standing
    member (or go, when nobody is left); their messages in groups go, with every counter recomputed."""
    from messages.models import Message, MessageFile

    memberships = list(Membership.objects.filter(user=user).select_related("chat"))
    for membership in memberships:
        chat = membership.chat
        if chat.is_private:
            _chat_destroy(chat)
            continue
        heir = Membership.objects.filter(chat=chat).exclude(user=user).order_by("joined_at", "id").first()
        if heir is None:
            _chat_destroy(chat)
            continue
        if chat.creator_id == user.pk:
            Chat.objects.filter(pk=chat.pk).update(creator_id=heir.user_id)
        own = Message.objects.filter(chat=chat, sender=user)
        files = [
            *(
                (MessageFile.item.field.storage, n)
                for n in MessageFile.objects.filter(message__in=own).values_list("item", flat=True)
            ),
            *(
                (Message.voice.field.storage, n)
                for n in own.exclude(voice="").exclude(voice=None).values_list("voice", flat=True)
            ),
        ]
        own.delete()
        _recount(chat)
        delete_files_on_commit(files)
        member_ids = _member_ids(chat)
        Membership.objects.filter(chat=chat, user=user).delete()
        _publish("member_left", chat.pk, member_ids, users=[str(user.pk)])


def _recount(chat: Chat) -> None:
    """Recompute a chat's counters from its messages (rare, bulk removals only)."""
    from messages.models import Message

    newest = Message.objects.filter(chat=OuterRef("pk")).order_by("-seq")
    Chat.objects.filter(pk=chat.pk).update(
        last_message=Subquery(newest.values("pk")[:1]),
        message_count=Coalesce(
            Subquery(
                Message.objects.filter(chat=OuterRef("pk"))
                .order_by()
                .values("chat")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            Value(0),
        ),
    )
    unread = (
        Message.objects.filter(chat=OuterRef("chat"), seq__gt=OuterRef("last_read_seq"))
        .exclude(sender=OuterRef("user"))
        .order_by()
        .values("chat")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Membership.objects.filter(chat=chat).update(unread_count=Coalesce(Subquery(unread), Value(0)))
