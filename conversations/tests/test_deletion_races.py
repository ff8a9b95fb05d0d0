"""Deletions racing other writes on the same chat or message: two real transactions on two connections, in both
orders. The loser of a race gets a 404 (or a 403 once it is no longer a member), never a 500 from a row that
vanished under it, a foreign key broken at commit, or a deadlock; nothing is left half-written."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection, transaction
from rest_framework.exceptions import NotFound, PermissionDenied

from chats import services as chat_services
from chats.models import Chat, Membership
from chats.tests.helpers import group, send
from conversations import services as conversation_services
from messages import services as message_services
from messages.models import Mention, Message, Reaction
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)

Work = Callable[[], object]
# What the loser of a race may answer: the chat or message is gone (404), or so is its membership (403).
LOST = (NotFound, PermissionDenied)


def race(first: Work, second: Work) -> list[BaseException]:
    """Run `first` in a transaction kept open (with its locks) while `second` starts; the errors of both."""
    errors: list[BaseException] = []
    holding = threading.Event()

    def run(work: Work, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                work()
                if hold:
                    holding.set()
                    time.sleep(0.4)
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    a = threading.Thread(target=run, args=(first,), kwargs={"hold": True})
    a.start()
    assert holding.wait(5)
    b = threading.Thread(target=run, args=(second,), kwargs={"hold": False})
    b.start()
    a.join(15)
    b.join(15)
    assert not a.is_alive() and not b.is_alive()
    return errors


def both_orders(deletion: Work, other: Work, order: str) -> list[BaseException]:
    errors = race(deletion, other) if order == "deletion first" else race(other, deletion)
    unexpected = [exc for exc in errors if not isinstance(exc, LOST)]
    assert not unexpected, unexpected
    return errors


ORDERS = ["deletion first", "deletion second"]


@pytest.fixture
def third(make_user: Callable[..., User]) -> User:
    return make_user()


# -------------------------------------------------------------------------------------------- a chat's deletion
CHAT_WRITES = [
    "leave",
    "rename",
    "add member",
    "remove member",
    "react",
    "edit",
    "pin",
    "forward out",
    "forward in",
    "send",
    "mute",
]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("write", CHAT_WRITES)
def test_a_chat_deleted_during_a_write(creator: User, member: User, third: User, write: str, order: str) -> None:
    chat = group(creator, member)
    elsewhere = group(creator, member)
    mine = send(member, chat, "hello @" + creator.username)
    outside = send(member, elsewhere)
    works: dict[str, Work] = {
        "leave": lambda: chat_services.chat_leave(actor=member, chat_id=chat.pk),
        "rename": lambda: chat_services.chat_update(actor=creator, chat_id=chat.pk, title="renamed"),
        "add member": lambda: chat_services.chat_member_add(actor=creator, chat_id=chat.pk, users=[third.pk]),
        "remove member": lambda: chat_services.chat_member_remove(actor=creator, chat_id=chat.pk, user_id=member.pk),
        "react": lambda: message_services.message_react(actor=member, message_id=mine.pk, emoji="👍"),
        "edit": lambda: message_services.message_update(
            actor=member, message_id=mine.pk, text="now @" + creator.username
        ),
        "pin": lambda: message_services.message_pin(actor=creator, message_id=mine.pk),
        "forward out": lambda: message_services.messages_forward(
            actor=member, chat_id=elsewhere.pk, message_ids=[mine.pk]
        ),
        "forward in": lambda: message_services.messages_forward(
            actor=member, chat_id=chat.pk, message_ids=[outside.pk]
        ),
        "send": lambda: message_services.message_create(sender=member, chat_id=chat.pk, text="racing"),
        "mute": lambda: chat_services.chat_mute(actor=member, chat_id=chat.pk),
    }
    both_orders(lambda: conversation_services.chat_delete(actor=creator, chat_id=chat.pk), works[write], order)
    assert not Chat.objects.filter(pk=chat.pk).exists()
    for model in (Message, Membership, Mention):
        assert not model.objects.filter(chat_id=chat.pk).exists(), model
    assert not Reaction.objects.filter(message_id=mine.pk).exists()
    # A copy forwarded out before the deletion stays, without the chat it came from.
    assert set(Message.objects.filter(chat=elsewhere).values_list("forwarded_from_chat_id", flat=True)) <= {None}


# ----------------------------------------------------------------------------------------- a message's deletion
MESSAGE_WRITES = ["react", "edit", "pin", "forward here", "forward elsewhere", "read"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("write", MESSAGE_WRITES)
def test_a_message_deleted_during_a_write(creator: User, member: User, write: str, order: str) -> None:
    chat = group(creator, member)
    elsewhere = group(creator, member)
    mine = send(member, chat, "hello @" + creator.username)
    works: dict[str, Work] = {
        "react": lambda: message_services.message_react(actor=creator, message_id=mine.pk, emoji="👍"),
        "edit": lambda: message_services.message_update(actor=member, message_id=mine.pk, text="changed"),
        "pin": lambda: message_services.message_pin(actor=creator, message_id=mine.pk),
        "forward here": lambda: message_services.messages_forward(
            actor=creator, chat_id=chat.pk, message_ids=[mine.pk]
        ),
        "forward elsewhere": lambda: message_services.messages_forward(
            actor=creator, chat_id=elsewhere.pk, message_ids=[mine.pk]
        ),
        "read": lambda: message_services.message_read(actor=creator, message_id=mine.pk),
    }
    errors = both_orders(lambda: message_services.message_delete(actor=member, message_id=mine.pk), works[write], order)
    assert not Message.objects.filter(pk=mine.pk).exists()
    assert not Reaction.objects.filter(message_id=mine.pk).exists()
    assert not Mention.objects.filter(message_id=mine.pk).exists()
    if order == "deletion second":
        assert not errors  # the write went first; the deletion waited for it and then took what it added too
    chat.refresh_from_db()
    assert chat.message_count == Message.objects.filter(chat=chat).count()


def together(first: Work, second: Work) -> list[BaseException]:
    """Start both at the same moment (no order imposed): the interleavings a lock-order bug deadlocks in."""
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(work: Work) -> None:
        try:
            start.wait(5)
            work()
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return errors


@pytest.mark.parametrize("target", ["same chat", "another chat"])
def test_deleting_a_message_while_it_is_forwarded_never_deadlocks(creator: User, member: User, target: str) -> None:
    chat = group(creator, member)
    destination = chat if target == "same chat" else group(creator, member)
    for _ in range(12):
        original = send(member, chat).pk
        errors = together(
            partial(message_services.message_delete, actor=member, message_id=original),
            partial(message_services.messages_forward, actor=creator, chat_id=destination.pk, message_ids=[original]),
        )
        unexpected = [exc for exc in errors if not isinstance(exc, LOST)]
        assert not unexpected, unexpected
    chat.refresh_from_db()
    assert chat.message_count == Message.objects.filter(chat=chat).count()


def test_deleting_a_chat_while_its_messages_are_forwarded_never_deadlocks(creator: User, member: User) -> None:
    elsewhere = group(creator, member)
    for _ in range(8):
        chat = group(creator, member)
        originals = [send(member, chat).pk for _ in range(3)]
        errors = together(
            partial(conversation_services.chat_delete, actor=creator, chat_id=chat.pk),
            partial(message_services.messages_forward, actor=member, chat_id=elsewhere.pk, message_ids=originals),
        )
        unexpected = [exc for exc in errors if not isinstance(exc, LOST)]
        assert not unexpected, unexpected
