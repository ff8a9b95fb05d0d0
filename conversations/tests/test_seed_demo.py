from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, Max
from rest_framework.test import APIClient

from chats.models import Chat, Membership
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_consistent_read_state(client_for) -> None:
    out = io.StringIO()
    call_command(
        "seed_demo",
        users=30,
        chats=25,
        messages=600,
        group_size=12,
        busy_user_chats=10,
        seed=7,
        verbosity=0,
        stdout=out,
    )
    assert "demo-password" in out.getvalue()
    assert User.objects.count() == 30
    assert Chat.objects.count() == 25
    assert Message.objects.count() == 600
    big = Chat.objects.order_by("-message_count").first()
    assert big.message_count >= 180 and big.memberships.count() == 12
    busy = User.objects.get(username="demo0")
    assert Membership.objects.filter(user=busy, chat__is_private=True).count() == 10

    stats = {row["chat"]: row for row in Message.objects.values("chat").annotate(n=Count("id"), top=Max("seq"))}
    for chat in Chat.objects.all():
        row = stats.get(chat.pk, {"n": 0, "top": 0})
        assert chat.message_count == chat.last_seq == row["n"] == row["top"]
        if row["n"]:
            assert Message.objects.filter(chat=chat).order_by("-seq").first().pk == chat.last_message_id
    for membership in Membership.objects.with_unread():
        expected = (
            Message.objects.filter(chat_id=membership.chat_id, seq__gt=membership.last_read_seq)
            .exclude(sender_id=membership.user_id)
            .count()
        )
        assert membership.unread_count == expected

    client: APIClient = client_for(busy)
    body = client.get("/api/chats/").json()
    assert body["count"] == Membership.objects.filter(user=busy).count()
    chat_id = body["results"][0]["id"]
    messages = client.get("/api/messages/", {"chat": chat_id}).json()
    assert messages["count"] == Chat.objects.get(pk=chat_id).message_count


def test_seed_demo_twice_adds_new_users(client_for) -> None:
    for _ in range(2):
        call_command("seed_demo", users=3, chats=2, messages=5, verbosity=0, stdout=io.StringIO())
    assert User.objects.count() == 6
