"""Every read on chats and memberships: the membership checks every per-chat action starts with, a user's chats in
list order, and the members of any number of chats as JSON written by PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.db import connections, router
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, TextField, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied

from application.ids import AnyId
from application.model_fields import attnames, from_row, select_list
from application.shapes import RenderContext
from application.shapes_sql import JSONRows
from centrifugo.events import Audience
from chats.models import Chat, Membership, unread_count_sql
from users.models import User
from users.selectors import name_contains
from users.shapes import UserShape


def parse_uuid(value: object) -> uuid.UUID:
    """An id from a path, a query parameter or a body; anything that is not a UUID is an unknown id (404)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise NotFound() from exc


def raise_not_member_or_missing(chat_id: uuid.UUID) -> NoReturn:
    """Called when the membership lookup failed: tell an existing chat (403) from an unknown one (404)."""
    if Chat.objects.filter(pk=chat_id).exists():
        raise PermissionDenied(_("You are not a member of this chat."))
    raise NotFound()


# The check every per-chat request starts with, written out once (the ORM's compilation cost more than the query);
# the rows become models through `Model.from_db`. chats.tests pins it against the ORM.
_MEMBERSHIP_SQL = (
    f"SELECT {select_list(Membership, 'm')}, {select_list(Chat, 'c')} FROM {Membership._meta.db_table} m "
    f"JOIN {Chat._meta.db_table} c ON c.id = m.chat_id WHERE m.chat_id = %s AND m.user_id = %s"
)


def membership_get(user: User, chat_id: AnyId, *, for_update: bool = False) -> Membership:
    """The user's membership of a chat, with the chat row: the permission check of every per-chat action (404 for
    an unknown chat, 403 for a chat the user is not in). `for_update` locks the membership row."""
    chat_uuid = parse_uuid(chat_id)
    alias = router.db_for_write(Membership) if for_update else router.db_for_read(Membership)
    with connections[alias].cursor() as cursor:
        cursor.execute(_MEMBERSHIP_SQL + (" FOR UPDATE OF m" if for_update else ""), [chat_uuid, user.pk])
        row = cursor.fetchone()
    if row is None:
        raise_not_member_or_missing(chat_uuid)
    split = len(attnames(Membership))
    membership = from_row(Membership, alias, row[:split])
    membership.chat = from_row(Chat, alias, row[split:])
    return membership


def member_ids(chat_id: uuid.UUID) -> list[uuid.UUID]:
    return list(Membership.objects.filter(chat_id=chat_id).values_list("user_id", flat=True))


def members_of(chat_id: uuid.UUID, *, search: str = "") -> QuerySet[User]:
    """A chat's members in join order (`GET /api/chat/{id}/members/`: a big group's `members` are listed here only).

    `search` keeps those whose username, first or last name contains it, as the user search does, and puts first
    the usernames that start with it, then the names that do: what a mention's completion after "@" wants on top.
    """
    members = User.objects.filter(memberships__chat_id=chat_id)
    order: list[Any] = []
    if search:
        members = members.filter(name_contains(search))
        starts_a_name = Q(first_name__istartswith=search) | Q(last_name__istartswith=search)
        order = [
            Case(
                When(username__istartswith=search, then=0),
                When(starts_a_name, then=1),
                default=2,
                output_field=IntegerField(),
            )
        ]
    return members.order_by(*order, "memberships__joined_at", "memberships__id")


def is_member(user: User, chat_id: AnyId) -> bool:
    try:
        chat_uuid = parse_uuid(chat_id)
    except NotFound:
        return False
    return Membership.objects.filter(chat_id=chat_uuid, user=user).exists()


def is_big(member_count: int) -> bool:
    """A chat with more members than the contract's groups may have (a "big group", only where GROUP_MAX_MEMBERS
    is raised) is shaped for its size: its message events go once to its own channel (chats.events.CHAT) instead
    of once per member, and its members and readers are not listed (docs/api-chats.md, "Big groups")."""
    return member_count > settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS


def message_audience(chat_id: uuid.UUID) -> Audience:
    """Who hears a chat's message events: its members on their personal channels, or the chat's own channel."""
    limit = settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS
    users = tuple(Membership.objects.filter(chat_id=chat_id).values_list("user_id", flat=True)[: limit + 1])
    return Audience(chat=chat_id) if is_big(len(users)) else Audience(users=users)


def read_audience(chat_id: uuid.UUID, reader_id: uuid.UUID) -> Audience:
    """Who hears that a member read: every member on their personal channel, as the contract has it, or in a big
    group the reader alone, on their own channel. Its messages list no readers, so the others have no use for it,
    and on the chat's channel every member's every read would reach every member (a read_all carries up to
    10,000 ids)."""
    audience = message_audience(chat_id)
    return Audience(users=(reader_id,)) if audience.chat is not None else audience


def chat_ids_matching(user: User, search: str) -> tuple[QuerySet[Chat], Callable[[], int]]:
    """The user's chats whose title matches `search`, or, in private chats, the other member's username and names
    (paginate them, then build the page's rows), and how to count them."""
    others = Membership.objects.filter(chat=OuterRef("pk")).exclude(user=user)
    others = others.filter(name_contains(search, through="user__"))
    chats = Chat.objects.filter(memberships__user=user)
    chats = chats.filter(Q(title__icontains=search) | Q(is_private=True) & Exists(others))
    return chats, chats.count


@dataclass(slots=True)
class MemberJSON:
    """A member as `members` and `was_read_by` show them: the user's JSON, and their read pointer."""

    user_id: str  # as text: parsing a UUID per row was a visible part of a large group's cost
    last_read_seq: int
    json: bytes


def member_json(
    chat_ids: Iterable[uuid.UUID], context: RenderContext, *, read_from: int | None = None
) -> dict[uuid.UUID, list[MemberJSON]]:
    """One query for the members of any number of chats, in join order, each user as UserShape's JSON written by
    PostgreSQL. `read_from` keeps only the members whose pointer reaches that seq (the readers of messages: the
    searches' rows, rendered in Python)."""
    by_id: dict[uuid.UUID, list[MemberJSON]] = {chat_id: [] for chat_id in chat_ids}
    if not by_id:
        return by_id
    # A big group's members are not listed (docs/api-chats.md, "Big groups"): its list stays empty.
    listed = (
        Membership.objects.filter(chat_id__in=list(by_id))
        .values("chat_id")
        .annotate(n=Count("id"))
        .filter(n__lte=settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS)
        .values("chat_id")
    )
    memberships = Membership.objects.filter(chat_id__in=listed).order_by("joined_at", "id")
    if read_from is not None:
        memberships = memberships.filter(last_read_seq__gte=read_from)
    users = JSONRows(UserShape, context, "user__")
    keys = {str(chat_id): chat_id for chat_id in by_id}
    rows = memberships.values_list(
        Cast("chat_id", TextField()), Cast("user_id", TextField()), "last_read_seq", users.json
    )
    for chat_id, user_id, last_read_seq, text in rows:
        by_id[keys[chat_id]].append(MemberJSON(user_id, last_read_seq, users.fix(text)))
    return by_id


@dataclass(frozen=True, slots=True)
class UnreadTotals:
    """A member's badge: unread messages across their chats that are not muted, and how many such chats have any."""

    unread_messages: int
    unread_chats: int


# Written out once: the ORM built and compiled this aggregate in 1.5 ms, twice the time PostgreSQL takes to run it
# over 512 chats (the badge is refetched often).
_UNREAD_TOTALS_SQL = (
    "SELECT coalesce(sum(n) FILTER (WHERE active), 0), count(*) FILTER (WHERE active AND n > 0) "
    f"FROM (SELECT {unread_count_sql('c', 'm')} AS n, (m.muted_until IS NULL OR m.muted_until <= %s) AS active "
    f"FROM {Membership._meta.db_table} m JOIN {Chat._meta.db_table} c ON c.id = m.chat_id WHERE m.user_id = %s) x"
)


def unread_totals(user: User) -> UnreadTotals:
    """One aggregate over the user's memberships (their unique (user, chat) index) joined to their chats: each
    count is derived from the pointer and the chat's last seq, so nothing is counted in the messages."""
    with connections[router.db_for_read(Membership)].cursor() as cursor:
        cursor.execute(_UNREAD_TOTALS_SQL, [timezone.now(), user.pk])
        messages, chats = cursor.fetchone()
    return UnreadTotals(unread_messages=int(messages), unread_chats=int(chats))
