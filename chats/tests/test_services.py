from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from chats import services
from chats.models import Chat, Membership
from chats.tests.helpers import group, last_event, private
from users.models import User

pytestmark = pytest.mark.django_db


def chat_channels(*users: User) -> list[str]:
    return sorted(f"chats:{u.id}" for u in users)


class TestChatEvents:
    def test_create_goes_to_the_members_chat_channels_only(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        event = last_event()
        assert event.channels == chat_channels(creator, member)
        assert event.data == {"event": "chat_create", "chat": {"id": str(chat.id)}}

    def test_update_tells_old_and_new_members(self, creator: User, member: User, outsider: User) -> None:
        chat = group(creator, member)
        result = services.chat_update(actor=creator, chat_id=chat.pk, title="New", members=[outsider.pk])
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
        services.chat_member_add(actor=creator, chat_id=chat.pk, users=[outsider.pk])
        assert last_event().data == {
            "event": "member_joined",
            "chat": {"id": str(chat.id)},
            "users": [str(outsider.id)],
        }
        assert last_event().channels == chat_channels(creator, member, outsider)
        services.chat_leave(actor=outsider, chat_id=chat.pk)
        assert last_event().data == {"event": "member_left", "chat": {"id": str(chat.id)}, "users": [str(outsider.id)]}
        assert last_event().channels == chat_channels(creator, member, outsider)
        services.chat_member_remove(actor=creator, chat_id=chat.pk, user_id=member.pk)
        assert last_event().channels == chat_channels(creator, member)


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
        services.chat_update(actor=creator, chat_id=chat.pk, members=[])
        assert list(Membership.objects.filter(chat=chat).values_list("user_id", flat=True)) == [creator.id]
