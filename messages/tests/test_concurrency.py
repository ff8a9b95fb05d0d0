"""Read state under concurrent writes: two real transactions on two connections, racing on the same rows."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from rest_framework.exceptions import NotFound

from chats.models import Membership
from chats.tests.helpers import group, send
from messages import services
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(work: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def exact(membership: Membership) -> int:
    return (
        Message.objects.filter(chat_id=membership.chat_id, seq__gt=membership.last_read_seq)
        .exclude(sender_id=membership.user_id)
        .count()
    )


@pytest.mark.parametrize("first", ["send", "read"])
@pytest.mark.parametrize("reader", ["read_all", "read_one"])
def test_unread_count_stays_exact_when_a_send_races_a_read(
    creator: User, member: User, first: str, reader: str
) -> None:
    chat = group(creator, member)
    latest = [send(creator, chat) for _ in range(3)][-1]
    holding = threading.Event()

    def do_send() -> None:
        services.message_create(sender=creator, chat_id=chat.pk, text="racing")

    def do_read() -> None:
        if reader == "read_all":
            services.messages_read_all(actor=member, chat_id=chat.pk)
        else:
            services.message_read(actor=member, message_id=latest.pk)

    def hold(work: Callable[[], None]) -> Callable[[], None]:
        # Run the work, then keep its transaction (and row locks) open while the other one starts.
        def run() -> None:
            with transaction.atomic():
                work()
                holding.set()
                time.sleep(0.5)

        return run

    first_work, second_work = (do_send, do_read) if first == "send" else (do_read, do_send)
    a = in_thread(hold(first_work))
    assert holding.wait(5)
    b = in_thread(second_work)
    a.join(10)
    b.join(10)
    membership = Membership.objects.with_unread().get(chat=chat, user=member)
    assert membership.unread_count == exact(membership)
    # A send in flight is not covered by a read: nobody's membership waits for a sender any more, and a reader
    # sees committed messages only (read_all after the send's commit: see the test below).
    assert membership.unread_count == 1


def test_read_all_covers_a_send_that_committed_before_it(creator: User, member: User) -> None:
    chat = group(creator, member)
    send(creator, chat)
    services.message_create(sender=creator, chat_id=chat.pk, text="committed")
    services.messages_read_all(actor=member, chat_id=chat.pk)
    membership = Membership.objects.with_unread().get(chat=chat, user=member)
    assert membership.unread_count == exact(membership) == 0


def hold_open(work: Callable[[], None], holding: threading.Event) -> Callable[[], None]:
    """Run the work in a transaction, then keep it (and its row locks) open while another one starts."""

    def run() -> None:
        with transaction.atomic():
            work()
            holding.set()
            time.sleep(0.5)

    return run


def race(first: Callable[[], None], second: Callable[[], None]) -> None:
    holding = threading.Event()
    a = in_thread(hold_open(first, holding))
    assert holding.wait(5)
    b = in_thread(second)
    a.join(10)
    b.join(10)
    assert not a.is_alive() and not b.is_alive()


# The corrections of the derived count (`skipped_after`): the reader's own messages and deleted ones. Both write the
# reader's membership row, which a read recounts: each race below runs in both orders.
@pytest.mark.parametrize("first", ["own send", "read"])
@pytest.mark.parametrize("reader", ["read_all", "read_one"])
def test_own_send_racing_own_read_stays_exact(creator: User, member: User, first: str, reader: str) -> None:
    chat = group(creator, member)
    latest = [send(creator, chat), send(member, chat), send(creator, chat)][-1]
    send(creator, chat)  # unread after the pointer read_one leaves

    def own_send() -> None:
        services.message_create(sender=member, chat_id=chat.pk, text="mine")

    def read() -> None:
        if reader == "read_all":
            services.messages_read_all(actor=member, chat_id=chat.pk)
        else:
            services.message_read(actor=member, message_id=latest.pk)

    race(*((own_send, read) if first == "own send" else (read, own_send)))
    membership = Membership.objects.with_unread().get(chat=chat, user=member)
    assert membership.unread_count == exact(membership) == (0 if reader == "read_all" else 1)


@pytest.mark.parametrize("first", ["delete", "read"])
@pytest.mark.parametrize("reader", ["read_all", "read_one"])
def test_a_deletion_racing_a_read_stays_exact(creator: User, member: User, first: str, reader: str) -> None:
    chat = group(creator, member)
    sent = [send(creator, chat) for _ in range(5)]
    doomed = sent[3]  # after the pointer read_one leaves (message 2), before the chat's end

    counted: list[int] = []

    def delete() -> None:
        services.message_delete(actor=creator, message_id=doomed.pk)

    def read() -> None:
        if reader == "read_all":
            counted.append(services.messages_read_all(actor=member, chat_id=chat.pk).data["count"])
        else:
            services.message_read(actor=member, message_id=sent[1].pk)

    race(*((delete, read) if first == "delete" else (read, delete)))
    membership = Membership.objects.with_unread().get(chat=chat, user=member)
    # read_one leaves messages 3 and 5 (4 is gone); read_all leaves nothing.
    assert membership.unread_count == exact(membership) == (0 if reader == "read_all" else 2)
    if reader == "read_all":
        # Its answer counts what it read: the doomed message too when the read committed first.
        assert counted == [5 if first == "read" else 4]


@pytest.mark.parametrize("first", ["send", "add"])
def test_a_member_added_while_a_message_is_sent_stays_exact(
    creator: User, member: User, outsider: User, first: str
) -> None:
    from chats.services import chat_member_add

    chat = group(creator, member)
    send(creator, chat)
    told: list[str] = []

    def do_send() -> None:
        # The channels the write published to (the outbox itself may be drained by a relay of another test).
        told.extend(services.message_create(sender=member, chat_id=chat.pk, text="racing").channels)

    def add() -> None:
        chat_member_add(actor=creator, chat_id=chat.pk, users=[outsider.pk])

    race(*((do_send, add) if first == "send" else (add, do_send)))
    newcomer = Membership.objects.with_unread().get(chat=chat, user=outsider)
    # Added first: the racing message is after the newcomer's pointer (unread, and they are told); added after
    # it: it is history they start with read.
    expected = 1 if first == "add" else 0
    assert newcomer.unread_count == exact(newcomer) == expected
    assert told and (str(outsider.pk) in told) == (first == "add")


def test_everything_at_once_keeps_every_count_exact(creator: User, make_user) -> None:
    from chats.services import chat_leave, chat_member_add

    members = [make_user() for _ in range(4)]
    late = [make_user() for _ in range(2)]
    leaver = make_user()
    chat = group(creator, *members, leaver)
    for user in (creator, *members, leaver):
        send(user, chat)
    start = threading.Barrier(len(members) + 2)
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait()
                work()
            except BaseException as exc:  # reported below
                errors.append(exc)

        return run

    def member_work(user: User, n: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(6):
                row = services.message_create(sender=user, chat_id=chat.pk, text=f"{n}.{i}").row
                assert row is not None
                others = Message.objects.filter(chat=chat).exclude(sender=user).order_by("-seq").first()
                if i % 3 == 0 and others is not None:
                    with contextlib.suppress(NotFound):  # deleted by its sender meanwhile: nothing was written
                        services.message_read(actor=user, message_id=others.pk)
                if i % 3 == 1:
                    services.messages_read_all(actor=user, chat_id=chat.pk)
                if i % 2 == 0:
                    services.message_delete(actor=user, message_id=row.id)

        return run

    def creator_work() -> None:
        for i, user in enumerate(late):
            chat_member_add(actor=creator, chat_id=chat.pk, users=[user.pk])
            services.message_create(sender=creator, chat_id=chat.pk, text=f"creator {i}")
        chat_leave(actor=leaver, chat_id=chat.pk)

    threads = [in_thread(guarded(member_work(user, n))) for n, user in enumerate(members)]
    threads.append(in_thread(guarded(creator_work)))
    start.wait()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    memberships = list(Membership.objects.with_unread().filter(chat=chat))
    assert len(memberships) == 1 + len(members) + len(late)
    for membership in memberships:
        assert membership.unread_count == exact(membership), membership.user_id


def test_concurrent_sends_get_consecutive_seqs_and_exact_counters(creator: User, member: User) -> None:
    chat = group(creator, member)
    start = threading.Barrier(4)

    def burst(user: User) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            for _ in range(5):
                services.message_create(sender=user, chat_id=chat.pk, text="x")

        return run

    threads = [in_thread(burst(u)) for u in (creator, member, creator, member)]
    for thread in threads:
        thread.join(30)
    chat.refresh_from_db()
    assert sorted(Message.objects.filter(chat=chat).values_list("seq", flat=True)) == list(range(1, 21))
    assert (chat.last_seq, chat.message_count) == (20, 20)
    assert Message.objects.get(pk=chat.last_message_id).seq == 20
    for membership in Membership.objects.with_unread().filter(chat=chat):
        assert membership.unread_count == exact(membership) == 10


def test_concurrent_private_chat_creation_yields_one_chat(creator: User, member: User) -> None:
    from chats.models import Chat
    from chats.services import chat_create

    start = threading.Barrier(2)
    results = []

    def create(a: User, b: User) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            results.append(chat_create(creator=a, members=[b.pk], is_private=True, fallback=True))

        return run

    threads = [in_thread(create(creator, member)), in_thread(create(member, creator))]
    for thread in threads:
        thread.join(10)
    assert Chat.objects.filter(is_private=True).count() == 1
    assert len({r.chat.pk for r in results}) == 1
