"""The writes that span a chat and its messages. Each function is one transaction and checks its own rules; the
events go through the catalogue (chats/events.py, messages/events.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied

from application.ids import AnyId
from chats import services as chats
from chats.events import CHAT_DELETE, MEMBER_LEFT
from chats.models import Chat, Membership
from chats.selectors import member_ids, membership_get, parse_uuid
from messages.models import Mention, Message, MessageFile, Reaction
from messages.services import message_create
from uploads.cleanup import delete_files_on_commit, release_files_on_commit
from users.models import User


@transaction.atomic
def chat_start(
    *,
    creator: User,
    members: Iterable[AnyId] = (),
    is_private: bool = False,
    title: str | None = "",
    avatar: UploadedFile | None = None,
    text: str | None = None,
    fallback: bool = False,
) -> chats.ChatCreated:
    """Create a chat (chats.services.chat_create) and, when it is new, send its opening message `text`."""
    created = chats.chat_create(
        creator=creator, members=members, is_private=is_private, title=title, avatar=avatar, fallback=fallback
    )
    if text and created.created:
        message_create(sender=creator, chat_id=created.chat.pk, text=text)
    return created


@transaction.atomic
def chat_delete(*, actor: User, chat_id: AnyId) -> list[str]:
    """Delete a chat with its messages and their files (either member of a private chat, a group's creator).
    Returns the channels told."""
    chat = membership_get(actor, chat_id).chat
    if not chat.is_private and chat.creator_id != actor.pk:
        raise PermissionDenied(_("Only the creator can delete this group."))
    return _chat_destroy(chat)


@transaction.atomic
def chat_moderate_delete(*, chat_id: AnyId) -> list[str]:
    """Delete any chat (moderators, through the admin), files and events included."""
    chat = Chat.objects.filter(pk=parse_uuid(chat_id)).first()
    if chat is None:
        raise NotFound()
    return _chat_destroy(chat)


def _message_files(messages: QuerySet[Message, Any]) -> list[tuple[Storage, str]]:
    """The stored files (voice recordings, attachments and their thumbnails) of messages (a `.values("pk")`
    queryset)."""
    names = [
        name
        for pair in MessageFile.objects.filter(message__in=messages).values_list("item", "thumbnail")
        for name in pair
        if name
    ]
    names += (
        Message.objects.filter(pk__in=messages).exclude(voice="").exclude(voice=None).values_list("voice", flat=True)
    )
    return [(default_storage, name) for name in names]


def _chat_destroy(chat: Chat) -> list[str]:
    # Lock the chat row, as a send does: no message can be added to it meanwhile.
    Chat.objects.select_for_update().filter(pk=chat.pk).first()
    members = member_ids(chat.pk)
    messages = Message.objects.filter(chat=chat).values("pk")
    files = _message_files(messages)
    # Set-based deletes: the ORM's collector would load every message of the chat into memory first.
    # The rows that reference the messages go first (foreign keys are checked at commit).
    MessageFile.objects.filter(message__chat=chat).delete()
    Reaction.objects.filter(message__chat=chat).delete()
    Mention.objects.filter(chat=chat).delete()
    Chat.objects.filter(pk=chat.pk).update(last_message=None)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Message._meta.db_table} WHERE chat_id = %s", [chat.pk])
    Membership.objects.filter(chat=chat).delete()
    Chat.objects.filter(pk=chat.pk).delete()
    # Forwarded messages elsewhere may share these files: only the ones nothing names any more go.
    release_files_on_commit(files)
    if chat.avatar:
        delete_files_on_commit([(chat.avatar.storage, chat.avatar.name)])
    _data, channels = CHAT_DELETE.publish(members, chat=chat)
    return channels


@transaction.atomic
def conversations_forget_user(user: User) -> None:
    """Before a user's account is deleted: their private chats go; groups they created pass to the
    longest-standing member (or go, when nobody is left); their messages in groups go, with every counter
    recomputed, and the others are told they left."""
    for membership in Membership.objects.filter(user=user).select_related("chat"):
        chat = membership.chat
        heir = Membership.objects.filter(chat=chat).exclude(user=user).order_by("joined_at", "id").first()
        if chat.is_private or heir is None:
            _chat_destroy(chat)
            continue
        Chat.objects.select_for_update().filter(pk=chat.pk).first()
        if chat.creator_id == user.pk:
            Chat.objects.filter(pk=chat.pk).update(creator_id=heir.user_id)
        own = Message.objects.filter(chat=chat, sender=user)
        files = _message_files(own.values("pk"))
        own.delete()
        _recount(chat)
        release_files_on_commit(files)
        members = member_ids(chat.pk)
        Membership.objects.filter(chat=chat, user=user).delete()
        MEMBER_LEFT.publish(members, chat=chat, users=[user.pk])


def _recount(chat: Chat) -> None:
    """Recompute a chat's counters from its messages (rare, bulk removals only)."""
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
    # What each member skips after their pointer: the seqs up to last_seq that are not others' messages.
    last_seq = Chat.objects.filter(pk=OuterRef("chat")).values("last_seq")[:1]
    Membership.objects.filter(chat=chat).update(
        skipped_after=Subquery(last_seq) - F("last_read_seq") - Coalesce(Subquery(unread), Value(0))
    )
