from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import account_delete
from chats.models import Chat, Membership
from chats.tests.helpers import group, last_event, ogg_upload, outbox, private, send, text_upload
from conversations import services
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db


def chat_channels(*users: User) -> list[str]:
    return sorted(f"chats:{u.id}" for u in users)


def test_start_with_text_publishes_the_chat_then_the_message(creator: User, member: User) -> None:
    result = services.chat_start(creator=creator, members=[member.pk], is_private=True, text="hi")
    chat_event, message_event = outbox()[-2:]
    assert chat_event.data["event"] == "chat_create"
    assert message_event.data["event"] == "create"
    assert message_event.data["message"]["chat"] == str(result.chat.id)
    assert message_event.channels == sorted([str(creator.id), str(member.id)])


def test_a_fallback_to_an_existing_chat_sends_no_opening_message(creator: User, member: User) -> None:
    private(creator, member)
    before = len(outbox())
    result = services.chat_start(creator=member, members=[creator.pk], is_private=True, text="hi", fallback=True)
    assert not result.created and len(outbox()) == before and not Message.objects.exists()


def test_delete_tells_the_members(creator: User, member: User) -> None:
    chat = private(creator, member)
    channels = services.chat_delete(actor=member, chat_id=chat.pk)
    assert channels == chat_channels(creator, member)
    assert last_event().data == {"event": "chat_delete", "chat": {"id": str(chat.id)}}


def test_delete_removes_every_file_on_commit(
    creator: User, member: User, settings, django_capture_on_commit_callbacks
) -> None:
    chat = group(creator, member)
    a = send(creator, chat, voice=ogg_upload(), files=[text_upload(), text_upload()])
    send(member, chat, reply_to=a.pk)
    names = [a.voice.name, *(f.item.name for f in a.files.all())]
    assert all((settings.MEDIA_ROOT / n).exists() for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_delete(actor=creator, chat_id=chat.pk)
    assert not any((settings.MEDIA_ROOT / n).exists() for n in names)
    assert not Message.objects.exists()
    assert not Membership.objects.exists()


class TestAccountDeletion:
    def test_private_chats_go_groups_stay_consistent(
        self, creator: User, member: User, outsider: User, as_member: APIClient
    ) -> None:
        private(creator, member)
        mine = group(creator, member, outsider, title="Mine")
        theirs = group(member, creator, title="Theirs")
        keep = send(member, mine, "stays")
        send(creator, mine, "goes")
        send(creator, theirs, "goes too")
        account_delete(actor=creator, user_id=creator.pk)
        assert not Chat.objects.filter(is_private=True).exists()
        mine.refresh_from_db()
        assert mine.creator_id == member.id  # the longest-standing member takes over
        assert (mine.message_count, mine.last_message_id) == (1, keep.id)
        assert Membership.objects.with_unread().get(chat=mine, user=outsider).unread_count == 1
        assert Membership.objects.with_unread().get(chat=theirs, user=member).unread_count == 0
        body = as_member.get("/api/chats/").json()
        assert {c["title"] for c in body["results"]} == {"Mine", "Theirs"}
        left = {"event": "member_left", "chat": {"id": str(theirs.id)}, "users": [str(creator.id)]}
        assert left in [event.data for event in outbox()]

    def test_a_group_left_empty_is_deleted(self, creator: User) -> None:
        group(creator, title="Alone")
        account_delete(actor=creator, user_id=creator.pk)
        assert not Chat.objects.exists()


def test_a_chat_with_reactions_mentions_pins_and_forwards_is_deleted_for_good(creator, member) -> None:
    """Its messages go with everything that references them: the deferred foreign keys, checked now as at commit,
    hold."""
    from django.db import connection

    from chats.tests.helpers import group, private, send
    from conversations.services import chat_delete
    from messages.services import message_pin, message_react, messages_forward

    chat = group(creator, member)
    message = send(creator, chat, f"@{member.username}")
    message_react(actor=member, message_id=message.pk, emoji="👍")
    message_pin(actor=creator, message_id=message.pk)
    elsewhere = private(creator, member)
    messages_forward(actor=creator, chat_id=elsewhere.pk, message_ids=[message.pk])
    chat_delete(actor=creator, chat_id=chat.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    copy = elsewhere.messages.get()
    assert copy.forwarded_from_chat_id is None and copy.forwarded_from_sender_id == creator.pk
