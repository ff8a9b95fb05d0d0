"""Every write on chats and memberships that does not reach their messages (conversations/services.py has those).
Each function is one transaction, checks its own rules (membership 404/403, a group's creator 403) and queues its
realtime event inside it, through the event catalogue (chats/events.py)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from application.ids import AnyId
from centrifugo.access import unsubscribe_after_commit
from chats.events import CHAT, CHAT_CREATE, CHAT_UPDATE, MEMBER_JOINED, MEMBER_LEFT, TYPING, UNREAD
from chats.models import MUTED_FOREVER, Chat, Membership, private_key_for
from chats.selectors import is_big, member_ids, membership_get, parse_uuid, unread_totals
from uploads.cleanup import delete_files_on_commit
from users.models import User


class Unset:
    """A keyword not given (None means "remove" for an avatar)."""


UNSET: Any = Unset()


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


def _resolve_users(ids: Iterable[AnyId], *, field_name: str = "members") -> list[User]:
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


def _locked_chat_of_member(actor: User, chat_id: AnyId) -> Chat:
    """The chat, locked, when `actor` is a member: 404 for an unknown chat, 403 for somebody else's. Locked before
    the membership is read: a deletion of the chat, or a removal of the member, that commits meanwhile is seen."""
    chat = Chat.objects.select_for_update().filter(pk=parse_uuid(chat_id)).first()
    if chat is None:
        raise NotFound()
    membership_get(actor, chat.pk)
    return chat


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
    members: Iterable[AnyId] = (),
    is_private: bool = False,
    title: str | None = "",
    avatar: UploadedFile | None = None,
    fallback: bool = False,
) -> ChatCreated:
    """Create a private chat (the creator and exactly one other user, unique per pair) or a group (the creator
    is always a member). `fallback` returns the existing private chat instead of a 400 on `members`."""
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
    _data, channels = CHAT_CREATE.publish([u.pk for u in users], chat=chat)
    return ChatCreated(chat=chat, created=True, channels=channels)


@transaction.atomic
def chat_update(
    *,
    actor: User,
    chat_id: AnyId,
    title: str | None = UNSET,
    avatar: UploadedFile | None = UNSET,
    members: Iterable[AnyId] | None = UNSET,
) -> MembersChanged:
    """Change a group (its creator): the title, the avatar (None removes it) or the whole member list (the creator
    stays)."""
    chat = _locked_chat_of_member(actor, chat_id)
    _require_group_creator(chat, actor)
    return _change(chat, title=title, avatar=avatar, members=members, keep=actor)


@transaction.atomic
def chat_moderate_update(
    *, chat_id: AnyId, title: str | None = UNSET, avatar: UploadedFile | None = UNSET, creator_id: AnyId = UNSET
) -> MembersChanged:
    """Change any group (moderators, through the admin): title, avatar, or the creator — one of its members. Tells
    the members as the creator's change does."""
    chat = Chat.objects.select_for_update().filter(pk=parse_uuid(chat_id)).first()
    if chat is None:
        raise NotFound()
    if chat.is_private:
        raise PermissionDenied(_("Private chats cannot be changed."))
    if creator_id is not UNSET:
        chat.creator_id = chat_creator_check(chat.pk, creator_id)
    return _change(chat, title=title, avatar=avatar, members=UNSET, keep=None)


def chat_creator_check(chat_id: uuid.UUID, creator_id: AnyId) -> uuid.UUID:
    """The rule for a group's creator: one of its members (400 on `creator` otherwise)."""
    creator_uuid = parse_uuid(creator_id)
    if not Membership.objects.filter(chat_id=chat_id, user_id=creator_uuid).exists():
        raise ValidationError({"creator": [_("The creator must be a member of the group.")]})
    return creator_uuid


def _unsubscribe_departed(chat: Chat, departed: Iterable[uuid.UUID], members_before: int) -> None:
    """Members who left a big group stop hearing its channel now, not when their subscription token runs out."""
    if is_big(members_before):
        unsubscribe_after_commit(departed, CHAT.channel(chat.pk))


def _change(
    chat: Chat, *, title: str | None, avatar: UploadedFile | None, members: Iterable[AnyId] | None, keep: User | None
) -> MembersChanged:
    old_avatar = chat.avatar.name if chat.avatar else None
    if title is not UNSET:
        chat.title = title or ""
    if avatar is not UNSET:
        chat.avatar = avatar
    before = set(member_ids(chat.pk))
    added: list[User] = []
    removed: set[uuid.UUID] = set()
    if members is not UNSET and members is not None:
        wanted = {u.pk: u for u in _resolve_users(members)}
        if keep is not None:
            wanted.setdefault(keep.pk, keep)
        _check_group_size(len(wanted))
        added = [u for pk, u in wanted.items() if pk not in before]
        removed = before - wanted.keys()
        Membership.objects.filter(chat=chat, user_id__in=removed).delete()
        _unsubscribe_departed(chat, removed, len(before))
        _add_memberships(chat, added, read_up_to=chat.last_seq)
    chat.updated_at = timezone.now()
    chat.save()
    new_avatar = chat.avatar.name if chat.avatar else None
    if old_avatar and old_avatar != new_avatar:
        delete_files_on_commit([(chat.avatar.storage, old_avatar)])
    added_ids = [u.pk for u in added]
    _data, channels = CHAT_UPDATE.publish(
        before | set(added_ids),
        chat=chat,
        members_added=sorted(added_ids, key=str),
        members_removed=sorted(removed, key=str),
    )
    return MembersChanged(chat=chat, added=added_ids, removed=sorted(removed), channels=channels)


@transaction.atomic
def chat_member_add(*, actor: User, chat_id: AnyId, users: Iterable[AnyId]) -> MembersChanged:
    """Add members to a group (its creator); users already in it are left alone."""
    chat = _locked_chat_of_member(actor, chat_id)
    _require_group_creator(chat, actor)
    before = set(member_ids(chat.pk))
    added = [u for u in _resolve_users(users, field_name="user") if u.pk not in before]
    _check_group_size(len(before) + len(added))
    _add_memberships(chat, added, read_up_to=chat.last_seq)
    added_ids = [u.pk for u in added]
    channels: list[str] = []
    if added_ids:
        Chat.objects.filter(pk=chat.pk).update(updated_at=timezone.now())
        _data, channels = MEMBER_JOINED.publish(before | set(added_ids), chat=chat, users=sorted(added_ids, key=str))
    return MembersChanged(chat=chat, added=added_ids, channels=channels)


@transaction.atomic
def chat_member_remove(*, actor: User, chat_id: AnyId, user_id: AnyId) -> MembersChanged:
    """Remove one member from a group (its creator; the creator cannot be removed)."""
    chat = _locked_chat_of_member(actor, chat_id)
    _require_group_creator(chat, actor)
    target = parse_uuid(user_id)
    if target == chat.creator_id:
        raise ValidationError({"user": [_("The creator cannot be removed from the group.")]})
    before = set(member_ids(chat.pk))
    if target not in before:
        raise NotFound(_("This user is not a member of the chat."))
    Membership.objects.filter(chat=chat, user_id=target).delete()
    _unsubscribe_departed(chat, [target], len(before))
    Chat.objects.filter(pk=chat.pk).update(updated_at=timezone.now())
    _data, channels = MEMBER_LEFT.publish(before, chat=chat, users=[target])
    return MembersChanged(chat=chat, removed=[target], channels=channels)


@transaction.atomic
def chat_leave(*, actor: User, chat_id: AnyId) -> MembersChanged:
    """Leave a group (a member). Private chats cannot be left (delete them); the creator cannot leave (delete the
    group)."""
    chat = _locked_chat_of_member(actor, chat_id)
    if chat.is_private:
        raise PermissionDenied(_("Private chats cannot be left."))
    if chat.creator_id == actor.pk:
        raise PermissionDenied(_("The creator cannot leave the group; delete it instead."))
    before = set(member_ids(chat.pk))
    Membership.objects.filter(chat=chat, user=actor).delete()
    _unsubscribe_departed(chat, [actor.pk], len(before))
    _data, channels = MEMBER_LEFT.publish(before, chat=chat, users=[actor.pk])
    return MembersChanged(chat=chat, removed=[actor.pk], channels=channels)


def chat_typing(*, actor: User, chat_id: AnyId) -> list[str]:
    """Tell the other members of a chat that `actor` (a member) is typing: an ephemeral event (no outbox, no
    history). At most one per user and chat every TYPING_THROTTLE (a cache key, shared by every API process with a
    shared cache): the ones in between are dropped, so a client may call this on every keystroke. Returns the
    channels told (none when throttled)."""
    membership = membership_get(actor, chat_id)
    limits = settings.CONSTANTS
    if not cache.add(f"typing:{membership.chat_id}:{actor.pk}", 1, timeout=limits.TYPING_THROTTLE.total_seconds()):
        return []
    others = [user_id for user_id in member_ids(membership.chat_id) if user_id != actor.pk]
    _data, channels = TYPING.publish_now(
        others, chat=membership.chat, user=actor, expires_in=int(limits.TYPING_EXPIRY.total_seconds())
    )
    return channels


@transaction.atomic
def chat_mute(*, actor: User, chat_id: AnyId, muted: bool = True, until: datetime.datetime | None = None) -> Membership:
    """Mute a chat for `actor` (a member) until a moment in the future, or until unmuted (`until` None); or unmute
    it (`muted=False`). The chat keeps its unread count; the member's total leaves it out while it is muted. The
    member's devices get their new badge (`unread`)."""
    membership = membership_get(actor, chat_id, for_update=True)
    if muted and until is not None and until <= timezone.now():
        raise ValidationError({"until": [_("Choose a moment in the future.")]})
    membership.muted_until = (until or MUTED_FOREVER) if muted else None
    Membership.objects.filter(pk=membership.pk).update(muted_until=membership.muted_until)
    publish_unread_totals(actor, membership.chat_id)
    return membership


def publish_unread_totals(user: User, chat_id: uuid.UUID) -> None:
    """Tell the user's devices their badge and the chat that changed it (inside the caller's transaction)."""
    UNREAD.publish([user.pk], chat=SimpleNamespace(id=chat_id), totals=unread_totals(user))
