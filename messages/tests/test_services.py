from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.test import APIClient

from chats.models import Chat, Membership
from chats.tests.helpers import delivered, group, last_event, ogg_upload, outbox, private, send, text_upload
from messages import services
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db


def channels_of(*users: User) -> list[str]:
    return sorted(str(u.id) for u in users)


class TestEventsEqualTheRestRepresentation:
    def test_create(self, as_member: APIClient, creator: User, member: User, outsider: User) -> None:
        chat = group(creator, member)
        before = len(outbox())
        response = as_member.post(
            "/api/messages/", {"chat": str(chat.id), "text": "hi", "files": [text_upload()]}, format="multipart"
        )
        events = outbox()[before:]
        assert len(events) == 1  # one publication for all recipients
        assert events[0].channels == channels_of(creator, member)
        assert events[0].data == {"event": "create", "message": response.json()}

    def test_update(self, as_creator: APIClient, creator: User, member: User) -> None:
        message = send(creator, group(creator, member))
        response = as_creator.patch(f"/api/message/{message.id}/", {"text": "edited"}, format="json")
        assert last_event().data == {"event": "update", "message": response.json()}
        assert last_event().data == {"event": "update", "message": as_creator.get(f"/api/message/{message.id}/").json()}

    def test_read_then_delete_carries_the_message_as_it_was(
        self, as_creator: APIClient, as_member: APIClient, creator: User, member: User
    ) -> None:
        chat = private(creator, member)
        message = send(creator, chat)
        response = as_member.post(f"/api/message/{message.id}/read/")
        assert last_event().data == {"event": "read", "message": response.json()}
        assert last_event().channels == channels_of(creator, member)
        as_it_was = as_creator.get(f"/api/message/{message.id}/").json()
        assert as_it_was["was_read_by"][0]["id"] == str(member.id)
        as_creator.delete(f"/api/message/{message.id}/")
        assert last_event().data == {"event": "delete", "message": as_it_was}

    def test_reading_an_already_read_message_tells_nobody(
        self, as_member: APIClient, creator: User, member: User
    ) -> None:
        chat = group(creator, member)
        first, second = send(creator, chat), send(creator, chat)
        as_member.post(f"/api/message/{second.id}/read/")
        count = len(outbox())
        assert as_member.post(f"/api/message/{first.id}/read/").status_code == 200
        assert len(outbox()) == count

    def test_read_all(self, as_member: APIClient, creator: User, member: User, make_user) -> None:
        third = make_user()
        chat = group(creator, member, third)
        sent = [send(creator, chat) for _ in range(2)] + [send(third, chat)]
        response = as_member.post(f"/api/messages/read_all/?chat={chat.id}")
        assert response.json() == {"chat": str(chat.id), "user": str(member.id), "count": 3}
        event = last_event()
        # The request queues the seq range; the relay lists the ids (no 10,000-id payload inside the request).
        assert event.data["message"]["messages"] == [] and event.deferred == {"after_seq": 0, "upto_seq": 3}
        read = {"chat": str(chat.id), "user": str(member.id), "messages": [str(m.id) for m in sent]}
        assert delivered(event) == {"event": "read_all", "message": read}
        assert event.channels == channels_of(creator, member, third)

    def test_read_all_counts_neither_own_nor_deleted_messages(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        first, _mine, doomed, last = send(creator, chat), send(member, chat), send(creator, chat), send(creator, chat)
        services.message_delete(actor=creator, message_id=doomed.pk)
        result = services.messages_read_all(actor=member, chat_id=chat.pk)
        assert result.data["count"] == 2
        assert delivered(last_event())["message"]["messages"] == [str(first.id), str(last.id)]
        again = services.messages_read_all(actor=member, chat_id=chat.pk)
        assert (again.data["count"], again.changed, last_event().data["event"]) == (0, False, "read_all")

    def test_the_relay_lists_what_the_read_passed(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        sent = [send(creator, chat) for _ in range(3)]
        services.messages_read_all(actor=member, chat_id=chat.pk)
        event = last_event()
        # Before the relay gets to it: a later message is not in the read, a deleted one is left out.
        send(creator, chat)
        services.message_delete(actor=creator, message_id=sent[1].pk)
        assert delivered(event)["message"]["messages"] == [str(sent[0].id), str(sent[2].id)]


class TestReadState:
    def test_read_all_is_one_update(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        for _ in range(5):
            send(creator, chat)
        with CaptureQueriesContext(connection) as queries:
            services.messages_read_all(actor=member, chat_id=chat.pk)
        updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 1
        membership = Membership.objects.with_unread().get(chat=chat, user=member)
        assert (membership.last_read_seq, membership.unread_count) == (5, 0)

    def test_counters_stay_exact_through_every_write(self, creator: User, member: User, make_user) -> None:
        third = make_user()
        chat = group(creator, member, third)
        m1, m2, m3 = send(creator, chat), send(member, chat), send(creator, chat)

        def unread() -> dict:
            return dict(Membership.objects.with_unread().filter(chat=chat).values_list("user_id", "unread_count"))

        def recount(user: User) -> int:
            pointer = Membership.objects.with_unread().get(chat=chat, user=user).last_read_seq
            return Message.objects.filter(chat=chat, seq__gt=pointer).exclude(sender=user).count()

        assert unread() == {creator.id: 1, member.id: 2, third.id: 3}
        services.message_read(actor=third, message_id=m2.pk)
        assert unread()[third.id] == 1
        services.message_delete(actor=creator, message_id=m3.pk)  # unread by member and third
        assert unread() == {creator.id: 1, member.id: 1, third.id: 0}
        services.message_delete(actor=creator, message_id=m1.pk)  # read by third only
        assert unread() == {creator.id: 1, member.id: 0, third.id: 0}
        for user in (creator, member, third):
            assert unread()[user.id] == recount(user)
        chat.refresh_from_db()
        assert (chat.message_count, chat.last_message_id, chat.last_seq) == (1, m2.id, 3)

    def test_sender_cannot_mark_read(self, creator: User, member: User) -> None:
        message = send(creator, group(creator, member))
        with pytest.raises(PermissionDenied):
            services.message_read(actor=creator, message_id=message.pk)

    def test_was_read_by_excludes_the_sender_and_unread_members(
        self, as_creator: APIClient, creator: User, member: User, make_user
    ) -> None:
        third = make_user()
        chat = group(creator, member, third)
        message = send(creator, chat)
        services.messages_read_all(actor=creator, chat_id=chat.pk)  # the sender's own pointer passes it
        services.message_read(actor=member, message_id=message.pk)
        readers = as_creator.get(f"/api/message/{message.id}/").json()["was_read_by"]
        assert [u["id"] for u in readers] == [str(member.id)]

    def test_seq_is_per_chat(self, creator: User, member: User) -> None:
        a, b = group(creator, member), group(creator, member)
        assert [send(creator, a).seq, send(creator, b).seq, send(creator, a).seq] == [1, 1, 2]
        assert Chat.objects.get(pk=a.pk).last_seq == 2


class TestSend:
    """The send statement: every row it writes, and nothing for an outsider."""

    def test_writes_and_event(self, creator: User, member: User, make_user) -> None:
        third = make_user()
        chat = group(creator, member, third)
        first = send(creator, chat)
        result = services.message_create(
            sender=member, chat_id=chat.pk, text="two", voice=ogg_upload(), files=[text_upload()], reply_to=first.pk
        )
        stored = Message.objects.get(pk=result.row.id)
        assert stored.pk.version == 7
        assert (stored.seq, stored.text, stored.reply_to_id, stored.sender_id) == (2, "two", first.pk, member.pk)
        assert stored.voice.name and stored.voice.storage.exists(stored.voice.name)
        assert [f.item.name for f in stored.files.all()] == [f.item for f in result.row.files]
        chat.refresh_from_db()
        assert (chat.last_seq, chat.message_count, chat.last_message_id) == (2, 2, stored.pk)
        assert chat.last_activity_at == stored.created_at
        unread = dict(Membership.objects.with_unread().filter(chat=chat).values_list("user_id", "unread_count"))
        assert unread == {creator.id: 1, member.id: 1, third.id: 2}
        assert last_event().channels == channels_of(creator, member, third)
        assert last_event().data == {"event": "create", "message": result.data}
        assert result.data["id"] == str(stored.pk) and result.data["was_read_by"] == []

    def test_a_chat_deleted_meanwhile_is_404(self, creator: User, member: User) -> None:
        chat = group(creator, member)
        message = Message(chat=chat, sender=creator, text="late")
        columns = services._insert_columns(message)
        Chat.objects.filter(pk=chat.pk).delete()
        assert services._write(message, columns) is None
        assert not Message.objects.filter(pk=message.pk).exists()

    def test_a_text_send_is_three_statements_and_writes_the_senders_membership_only(
        self, creator: User, member: User, make_user
    ) -> None:
        chat = group(creator, member, *[make_user() for _ in range(5)])
        with CaptureQueriesContext(connection) as queries:
            services.message_create(sender=creator, chat_id=chat.pk, text="hi")
        # the write (which also checks the membership), the members (after the chat row is locked), the outbox row
        statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert len(statements) == 3
        # Others' unread counts move by the chat's last_seq alone: their rows are untouched.
        write = statements[0]
        assert write.count(f"UPDATE {Membership._meta.db_table}") == 1
        assert "user_id = " in write.split(f"UPDATE {Membership._meta.db_table}")[1]
        unread = dict(Membership.objects.with_unread().filter(chat=chat).values_list("user_id", "unread_count"))
        assert unread.pop(creator.pk) == 0
        assert set(unread.values()) == {1}

    def test_outsiders_and_unknown_chats_write_nothing(self, creator: User, member: User, outsider: User) -> None:
        chat = group(creator, member)
        send(creator, chat)
        before = (Message.objects.count(), len(outbox()), Chat.objects.get(pk=chat.pk).last_seq)
        with pytest.raises(PermissionDenied):
            services.message_create(sender=outsider, chat_id=chat.pk, text="let me in")
        with pytest.raises(NotFound):
            services.message_create(sender=creator, chat_id=uuid.uuid4(), text="nobody here")
        with pytest.raises(NotFound):
            services.message_create(sender=creator, chat_id="not-a-uuid", text="nor here")
        assert (Message.objects.count(), len(outbox()), Chat.objects.get(pk=chat.pk).last_seq) == before
        assert Membership.objects.with_unread().get(chat=chat, user=member).unread_count == 1
