"""`Idempotency-Key` on POST /api/messages/: a client that resends after a lost answer gets the message its first
send made, not a second one (docs/api-chats.md, "Sending again")."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from chats.tests.helpers import group, outbox, private, text_upload
from messages.models import Message, MessageFile
from messages.services import message_create, message_delete
from users.models import User

URL = "/api/messages/"


def post(client: APIClient, key: str | None, **body: object) -> object:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(URL, body, format="json", **headers)


def test_a_resent_message_is_answered_not_sent_again(as_member: APIClient, creator: User, member: User) -> None:
    chat = private(creator, member)
    first = post(as_member, "3f1c-resend", chat=str(chat.pk), text="hello")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    events = len(outbox())
    again = post(as_member, "3f1c-resend", chat=str(chat.pk), text="hello")
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Message.objects.filter(chat=chat).count() == 1
    assert len(outbox()) == events  # nobody is told twice
    chat.refresh_from_db()
    assert (chat.last_seq, chat.message_count) == (1, 1)


def test_the_replay_of_a_message_with_files_stores_nothing(as_member: APIClient, creator: User, member: User) -> None:
    chat = group(creator, member)
    body = {"chat": str(chat.pk), "files": [text_upload()]}
    first = as_member.post(URL, body, format="multipart", HTTP_IDEMPOTENCY_KEY="files-1")
    again = as_member.post(URL, {**body, "files": [text_upload()]}, format="multipart", HTTP_IDEMPOTENCY_KEY="files-1")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert MessageFile.objects.count() == 1


@pytest.mark.parametrize("change", ["text", "chat"])
def test_a_key_names_one_message(as_member: APIClient, creator: User, member: User, change: str) -> None:
    chat, other = private(creator, member), group(creator, member)
    assert post(as_member, "k1", chat=str(chat.pk), text="hello").status_code == 201
    body = {"chat": str(other.pk if change == "chat" else chat.pk), "text": "bye" if change == "text" else "hello"}
    response = post(as_member, "k1", **body)
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "idempotency_key_reused"
    assert Message.objects.count() == 1


def test_keys_are_per_sender_and_sends_without_one_are_never_merged(
    client_for: Callable[[User], APIClient], creator: User, member: User
) -> None:
    chat = group(creator, member)
    a, b = client_for(creator), client_for(member)
    assert (
        post(a, "same", chat=str(chat.pk), text="hi").json()["id"]
        != post(b, "same", chat=str(chat.pk), text="hi").json()["id"]
    )
    post(a, None, chat=str(chat.pk), text="plain")
    post(a, None, chat=str(chat.pk), text="plain")
    assert Message.objects.filter(chat=chat).count() == 4


@pytest.mark.parametrize("key", ["", "a b", "x" * 65, "ключ", "a/b"])
def test_a_malformed_key_is_a_400(as_member: APIClient, creator: User, member: User, key: str) -> None:
    chat = private(creator, member)
    response = post(as_member, key, chat=str(chat.pk), text="hello")
    assert response.status_code == 400, response.content
    assert "Idempotency-Key" in response.json()
    assert not Message.objects.exists()


def test_an_outsider_learns_nothing_from_a_key(
    as_member: APIClient, as_outsider: APIClient, creator: User, member: User
) -> None:
    chat = private(creator, member)
    post(as_member, "secret", chat=str(chat.pk), text="hello")
    assert post(as_outsider, "secret", chat=str(chat.pk), text="hello").status_code == 403


def test_a_deleted_message_frees_its_key(as_member: APIClient, creator: User, member: User) -> None:
    chat = private(creator, member)
    first = post(as_member, "again", chat=str(chat.pk), text="hello").json()
    message_delete(actor=member, message_id=first["id"])
    second = post(as_member, "again", chat=str(chat.pk), text="hello")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert second.json()["id"] != first["id"]


def test_the_browser_may_send_the_key_across_origins(anon_client: APIClient) -> None:
    response = anon_client.options(
        URL,
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert "idempotency-key" in response["Access-Control-Allow-Headers"].lower()


@pytest.mark.django_db(transaction=True)
def test_two_sends_with_one_key_at_once_make_one_message(creator: User, member: User) -> None:
    chat = group(creator, member)
    start = threading.Barrier(2)
    ids: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            start.wait(5)
            ids.append(str(message_create(sender=member, chat_id=chat.pk, text="once", client_key="race").data["id"]))
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors, errors
    assert len(ids) == 2 and ids[0] == ids[1]
    assert Message.objects.filter(chat=chat).count() == 1
