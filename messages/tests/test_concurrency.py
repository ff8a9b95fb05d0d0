"""Read state under concurrent writes: two real transactions on two connections, racing on the same rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

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
    membership = Membership.objects.get(chat=chat, user=member)
    assert membership.unread_count == exact(membership)
    # read_all covers the racing message only if it committed first; reading message 3 never covers message 4.
    assert membership.unread_count == (0 if first == "send" and reader == "read_all" else 1)


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
    for membership in Membership.objects.filter(chat=chat):
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
