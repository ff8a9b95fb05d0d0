"""`was_read_by` with the readers' JSON written by PostgreSQL (users.json_sql) and by Python: both equal the DRF
fields, byte for byte the same (a page's files come with its rows on the SQL path: one query fewer); slicing the
joined text drops exactly the sender."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chats.models import Chat
from chats.tests.helpers import group, ogg_upload, send, text_upload
from messages.models import Message
from messages.serializers import _Readers, _ReaderTexts
from messages.services import message_read
from messages.tests.test_serialization import reference_message
from users import json_sql
from users.json_sql import JSONText
from users.models import User
from users.serializers import USER_COLUMNS
from users.tests.helpers import tricky_users


def _scene(make_user) -> tuple[User, Chat, list[Message]]:
    viewer = make_user()
    tricky = tricky_users(make_user)
    chat = group(tricky[0], viewer, *tricky[1:], title="g")
    senders = [tricky[1], viewer, tricky[0], tricky[4], tricky[1], tricky[5]]
    messages: list[Message] = []
    for n, sender in enumerate(senders):
        extra: dict = {}
        if n in (2, 4):  # replies to a tricky sender's message (reply_to.sender is written the same way)
            extra["reply_to"] = messages[n - 2].pk
        if n in (1, 4):
            extra["files"] = [text_upload(f"a{n}.txt"), text_upload(f"b {n}.txt")]
        if n == 5:
            extra["voice"] = ogg_upload()
        messages.append(send(sender, chat, f"m{n}", **extra))
    # Pointers spread out, so senders fall first, in the middle and last among a message's readers.
    for reader, upto in [(tricky[2], 4), (tricky[3], 1), (tricky[4], 2), (tricky[0], 5), (tricky[5], 0)]:
        message_read(actor=reader, message_id=messages[upto].pk)
    return viewer, chat, messages


def test_messages_equal_drf_fields(make_user, client_for, user_json_path: str) -> None:
    viewer, chat, messages = _scene(make_user)
    client = client_for(viewer)
    response = client.get("/api/messages/", {"chat": str(chat.pk)})
    assert isinstance(response.data["results"][0]["was_read_by"], JSONText) == (user_json_path == "sql")
    body = response.json()["results"]
    assert body == [reference_message(m.pk) for m in reversed(messages)]
    assert sorted(len(m["was_read_by"]) for m in body) == [1, 2, 2, 2, 4, 5]
    for message in messages:
        assert client.get(f"/api/message/{message.pk}/").json() == reference_message(message.pk)


def test_both_paths_write_the_same_bytes(make_user, client_for, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer, chat, messages = _scene(make_user)
    client = client_for(viewer)
    paths = [
        f"/api/messages/?chat={chat.pk}",
        f"/api/messages/?chat={chat.pk}&page_size=2&before={messages[3].pk}",
        *(f"/api/message/{m.pk}/" for m in messages),
    ]
    client.get("/api/chats/")  # the presence write (throttled) happens once, before the comparison

    def bodies() -> list[tuple[bytes, int]]:
        result = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, response.content
            result.append((response.content, len(queries)))
        return result

    sql = bodies()
    monkeypatch.setattr(json_sql, "ENABLED", False)
    python = bodies()
    assert [content for content, _ in python] == [content for content, _ in sql]
    # A page's files come with its rows on the SQL path (one query fewer), never more queries.
    assert all(s <= p for (_, s), (_, p) in zip(sql, python, strict=True))
    assert sql[0][1] == python[0][1] - 1


def test_slices_equal_the_python_readers() -> None:
    """Every seq and every sender position (first, middle, last, not a reader, none) over readers that share
    pointers: the sliced JSON text equals the Python path's list."""
    pointers = [9, 7, 7, 7, 4, 2, 2]
    ids = [f"00000000-0000-0000-0000-00000000000{n}" for n in range(len(pointers))]
    rows = [
        (p, 0, pk, orjson.dumps({"id": pk, "name": f'n"{n}'}).decode())
        for n, (p, pk) in enumerate(zip(pointers, ids, strict=True))
    ]
    texts = _ReaderTexts(rows)
    dicts = {pk: orjson.loads(text) for _p, _u, pk, text in rows}
    for seq, sender in itertools.product(range(11), [*ids, "00000000-0000-0000-0000-0000000000ff", None]):
        message = SimpleNamespace(seq=seq, sender_id=sender, chat_id="c")
        expected = [dicts[pk] for p, _u, pk, _t in rows if p >= seq and pk != sender]
        produced = texts.reaching(message)
        assert orjson.loads(produced.raw) == expected, (seq, sender)


def test_python_readers_unchanged(make_user) -> None:
    user = make_user()
    values = User.objects.filter(pk=user.pk).values_list(*USER_COLUMNS)[0]
    readers = _Readers([(5, 0, *values)], {})
    assert readers.reaching(SimpleNamespace(seq=5, sender_id=None))[0]["id"] == str(user.pk)
    assert readers.reaching(SimpleNamespace(seq=5, sender_id=user.pk)) == []
    assert readers.reaching(SimpleNamespace(seq=6, sender_id=None)) == []
