"""Every read query on chats, with the joins the chat serializer needs (a constant number per request)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from django.db.models import Exists, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied

from chats.models import Chat, Membership
from messages.models import Message, MessageFile
from users import json_sql
from users.models import User
from users.serializers import USER_COLUMNS, UserDicts

# A membership as the serializers read it: plain values, no model instances (users.serializers.UserDicts).
MEMBER_COLUMNS = ("last_read_seq", "unread_count", *(f"user__{column}" for column in USER_COLUMNS))


def parse_uuid(value: object) -> uuid.UUID:
    """An id from a path, a query parameter or a body; anything that is not a UUID is an unknown id (404)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise NotFound() from exc


def _with_viewer(chats: QuerySet[Chat], viewer: User) -> QuerySet[Chat]:
    """Only the viewer's chats, each annotated with the viewer's unread count (one join on the membership)."""
    return (
        chats.annotate(mine=FilteredRelation("memberships", condition=Q(memberships__user=viewer)))
        .filter(mine__isnull=False)
        .annotate(my_unread_count=F("mine__unread_count"))
    )


def _for_serializer(chats: QuerySet[Chat]) -> QuerySet[Chat]:
    return chats.select_related(
        "creator", "last_message", "last_message__sender", "last_message__reply_to__sender"
    ).prefetch_related(Prefetch("last_message__files", queryset=MessageFile.objects.order_by("id")))


def member_rows(
    memberships: QuerySet[Membership], chat_ids: Iterable[object], users: UserDicts | None = None
) -> dict[object, list[tuple]]:
    """The memberships' rows per chat id, in the queryset's order: MEMBER_COLUMNS values, or, where PostgreSQL
    writes the users for `users` (the response's UserDicts), json_sql.MemberTexts."""
    by_id: dict[object, list[tuple]] = {chat_id: [] for chat_id in chat_ids}
    user_json = json_sql.user_json_columns(users, "user__")
    if user_json is None:
        for row in memberships.values_list("chat_id", *MEMBER_COLUMNS):
            by_id[row[0]].append(row[1:])
        return by_id
    # Ids as text: parsing a UUID per row was a visible part of the cost.
    keys = {str(chat_id): chat_id for chat_id in by_id}
    texts: dict[object, list[tuple]] = {chat_id: json_sql.MemberTexts() for chat_id in by_id}
    rows = memberships.values_list(
        Cast("chat_id", TextField()), "last_read_seq", "unread_count", Cast("user_id", TextField()), *user_json
    )
    for chat_id, last_read_seq, unread_count, user_id, text, unsafe_avatar in rows:
        if unsafe_avatar is not None:
            text = json_sql.fix_avatar(users, text, unsafe_avatar)
        texts[keys[chat_id]].append((last_read_seq, unread_count, user_id, text))
    return texts


def chat_members_attach(chats: Iterable[Chat], users: UserDicts | None = None) -> list[Chat]:
    """One query for the members of any number of chats: `chat.member_rows` in join order (see member_rows),
    what ChatSerializer reads for members, a private chat's title and avatar, and last_message.was_read_by."""
    chats = list(chats)
    if chats:
        memberships = Membership.objects.filter(chat_id__in=[chat.pk for chat in chats]).order_by("joined_at", "id")
        by_id = member_rows(memberships, [chat.pk for chat in chats], users)
        for chat in chats:
            chat.member_rows = by_id[chat.pk]
    return chats


class _CountedQuerySet(QuerySet):
    """A queryset whose `count()` (the paginator's) is answered by a cheaper equivalent query. Clones (slices,
    filters) are plain querysets again."""

    counter: Callable[[], int] | None = None

    def count(self) -> int:
        return self.counter() if self.counter is not None else super().count()


def _counted(queryset: QuerySet, counter: Callable[[], int]) -> QuerySet:
    counted = queryset._chain()
    counted.__class__ = _CountedQuerySet
    counted.counter = counter
    return counted


def chat_list_for_user(user: User, *, search: str | None = None) -> QuerySet:
    """The ids of the user's chats, latest activity first (paginate them, then `chats_for_page`); `search`
    matches titles and, in private chats, the other member's username and names.

    Ids first, rows second: ordering and skipping need two narrow columns of the user's chats, while the page's
    rows join six tables; joined before the LIMIT (one query) they cost twice as much, and more on later pages.
    """
    chats = Chat.objects.filter(memberships__user=user)
    if search:
        other_matches = Membership.objects.filter(chat=OuterRef("pk")).exclude(user=user)
        other_matches = other_matches.filter(
            Q(user__username__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
        chats = chats.filter(Q(title__icontains=search) | Q(is_private=True) & Exists(other_matches))
    ids = chats.order_by("-last_activity_at", "-id").values_list("pk", flat=True)
    if not search:
        # The viewer's chats are their memberships: an index scan, not a join with every chat.
        ids = _counted(ids, lambda: Membership.objects.filter(user=user).count())
    return ids


def chats_for_page(user: User, ids: Iterable[object], users: UserDicts | None = None) -> list[Chat]:
    """The chats of a page of `chat_list_for_user`, in its order, as the chat serializer reads them. Where
    PostgreSQL writes the users for `users` (the response's UserDicts), creators and the last messages' senders
    come as JSON text and the last messages' files with their rows (messages.selectors.for_page): no user or file
    instances, which were most of a page's time."""
    ids = list(ids)
    if not ids:
        return []
    creator = json_sql.user_json_columns(users, "creator__")
    if creator is None:
        chats = list(_for_serializer(_with_viewer(Chat.objects.filter(pk__in=ids), user)))
    else:
        from messages.selectors import for_page  # messages.selectors imports this module

        chats = list(
            _with_viewer(Chat.objects.filter(pk__in=ids), user).annotate(
                creator_json=creator[0], creator_unsafe_avatar=creator[1]
            )
        )
        last_ids = [chat.last_message_id for chat in chats if chat.last_message_id is not None]
        last = {message.pk: message for message in for_page(Message.objects.filter(pk__in=last_ids), users)}
        for chat in chats:
            if chat.last_message_id in last:
                chat.last_message = last[chat.last_message_id]
    by_id = {chat.pk: chat for chat in chats}
    return [by_id[pk] for pk in ids if pk in by_id]


def chat_get_for_user(user: User, chat_id: object, users: UserDicts | None = None) -> Chat:
    """A chat as its member sees it: 404 if unknown, 403 if it exists but the user is not a member. `users`: the
    response's UserDicts (chat_members_attach)."""
    chat_uuid = parse_uuid(chat_id)
    chat = _for_serializer(_with_viewer(Chat.objects.filter(pk=chat_uuid), user)).first()
    if chat is None:
        raise_not_member_or_missing(chat_uuid)
    chat_members_attach([chat], users)
    return chat


def raise_not_member_or_missing(chat_id: uuid.UUID) -> None:
    """Called when the membership lookup failed: tell an existing chat (403) from an unknown one (404)."""
    if Chat.objects.filter(pk=chat_id).exists():
        raise PermissionDenied(_("You are not a member of this chat."))
    raise NotFound()


def membership_get(user: User, chat_id: object, *, for_update: bool = False) -> Membership:
    """The user's membership of a chat, with the chat row: the permission check of every per-chat action."""
    chat_uuid = parse_uuid(chat_id)
    memberships = Membership.objects.select_related("chat")
    if for_update:
        memberships = memberships.select_for_update(of=("self",))
    membership = memberships.filter(chat_id=chat_uuid, user=user).first()
    if membership is None:
        raise_not_member_or_missing(chat_uuid)
    return membership
