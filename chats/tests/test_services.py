from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from chats import services
from chats.models import Chat, Membership
from chats.tests.helpers import group, last_event, ogg_upload, outbox, private, send, text_upload
from messages.models import Message
from users.models import User
from users.services import user_delete

pytestmark = pytest.mark.django_db


def chat_channels(*users: User) -> list[str]:
    return sorted(f"chats:{u.id}" for u in users)


class TestChatEvents:
    def test_create_goes_to_the_members_chat_channels_only(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        event = last_event()
        assert event.channels == chat_channels(creator, member)
        assert event.data == {"event": "chat_create", "chat": {"id": str(chat.id)}}

    def test_create_with_text_publishes_the_chat_then_the_message(self, creator: User, member: User) -> None:
        result = services.chat_create(creator=creator, members=[member.pk], is_private=True, text="hi")
        chat_event, message_event = outbox()[-2:]
        assert chat_event.data["event"] == "chat_create"
        assert message_event.data["event"] == "create"
        assert message_event.data["message"]["chat"] == str(result.chat.id)
        assert message_event.channels == sorted([str(creator.id), str(member.id)])

    def test_update_tells_old_and_new_members(self, creator: User, member: User, outsider: User) -> None:
        chat = group(creator, member)
        result = services.chat_update(chat, actor=creator, title="New", members=[outsider.pk])
        assert (result.added, result.removed) == ([outsider.pk], [member.pk])
        event = last_event()
        assert event.channels == chat_channels(creator, member, outsider)
        assert event.data == {
            "event": "chat_update",
            "chat": {"id": str(chat.id)},
            "members_added": [str(outsider.id)],
            "members_removed": [str(member.id)],
        }

    def test_member_joined_and_left(self, creator: User, member: User, outsider: User) -> None:
        chat = group(creator, member)
        services.chat_member_add(chat, actor=creator, users=[outsider.pk])
        assert last_event().data == {
            "event": "member_joined",
            "chat": {"id": str(chat.id)},
            "users": [str(outsider.id)],
        }
        assert last_event().channels == chat_channels(creator, member, outsider)
        services.chat_leave(chat, actor=outsider)
        assert last_event().data == {"event": "member_left", "chat": {"id": str(chat.id)}, "users": [str(outsider.id)]}
        assert last_event().channels == chat_channels(creator, member, outsider)
        services.chat_member_remove(chat, actor=creator, user_id=member.pk)
        assert last_event().channels == chat_channels(creator, member)

    def test_delete(self, creator: User, member: User) -> None:
        chat = private(creator, member)
        channels = services.chat_delete(chat, actor=member)
        assert channels == chat_channels(creator, member)
        assert last_event().data == {"event": "chat_delete", "chat": {"id": str(chat.id)}}


class TestRules:
    def test_private_pair_is_a_database_constraint(self, creator: User, member: User) -> None:
        from django.db import IntegrityError, transaction

        chat = private(creator, member)
        with pytest.raises(IntegrityError), transaction.atomic():
            Chat.objects.create(is_private=True, private_key=chat.private_key)

    def test_fallback_returns_existing(self, creator: User, member: User) -> None:
        chat = private(creator, member)
        result = services.chat_create(creator=member, members=[creator.pk], is_private=True, fallback=True)
        assert (result.chat.pk, result.created) == (chat.pk, False)
        with pytest.raises(ValidationError):
            services.chat_create(creator=member, members=[creator.pk], is_private=True)

    def test_update_keeps_the_creator(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        services.chat_update(chat, actor=creator, members=[])
        assert list(Membership.objects.filter(chat=chat).values_list("user_id", flat=True)) == [creator.id]

    def test_delete_removes_every_file_on_commit(
        self, creator: User, member: User, settings, django_capture_on_commit_callbacks
    ) -> None:
        chat = group(creator, member)
        a = send(creator, chat, voice=ogg_upload(), files=[text_upload(), text_upload()])
        send(member, chat, reply_to=a.pk)
        names = [a.voice.name, *(f.item.name for f in a.files.all())]
        assert all((settings.MEDIA_ROOT / n).exists() for n in names)
        with django_capture_on_commit_callbacks(execute=True):
            services.chat_delete(chat, actor=creator)
        assert not any((settings.MEDIA_ROOT / n).exists() for n in names)
        assert not Message.objects.exists()
        assert not Membership.objects.exists()


class TestUserDeletion:
    def test_private_chats_go_groups_stay_consistent(
        self, creator: User, member: User, outsider: User, as_member: APIClient
    ) -> None:
        private(creator, member)
        mine = group(creator, member, outsider, title="Mine")
        theirs = group(member, creator, title="Theirs")
        keep = send(member, mine, "stays")
        send(creator, mine, "goes")
        send(creator, theirs, "goes too")
        user_delete(creator)
        assert not Chat.objects.filter(is_private=True).exists()
        mine.refresh_from_db()
        assert mine.creator_id == member.id  # the longest-standing member takes over
        assert (mine.message_count, mine.last_message_id) == (1, keep.id)
        assert Membership.objects.get(chat=mine, user=outsider).unread_count == 1
        assert Membership.objects.get(chat=theirs, user=member).unread_count == 0
        body = as_member.get("/api/chats/").json()
        assert {c["title"] for c in body["results"]} == {"Mine", "Theirs"}

    def test_a_group_left_empty_is_deleted(self, creator: User) -> None:
        group(creator, title="Alone")
        user_delete(creator)
        assert not Chat.objects.exists()
