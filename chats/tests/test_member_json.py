"""Chat list and chat detail with the members' JSON written by PostgreSQL (users.json_sql) and by Python: both
equal the DRF fields, byte for byte the same, at the same number of queries (on the SQL path the last messages'
files come with their rows instead of a prefetch)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chats.models import Chat
from chats.tests.helpers import group, private, send, text_upload
from messages.services import message_read
from messages.tests.test_serialization import reference_chat
from users import json_sql
from users.json_sql import JSONText
from users.models import User
from users.tests.helpers import tricky_users


def _scene(make_user) -> tuple[User, list[Chat]]:
    viewer = make_user()
    tricky = tricky_users(make_user)
    chat = group(tricky[0], viewer, *tricky[1:], title='группа "g"')
    first = send(tricky[1], chat, "first")
    send(viewer, chat, "second")
    message_read(actor=tricky[2], message_id=first.pk)
    pairs = [private(viewer, other) for other in (tricky[4], tricky[1])]  # unsafe avatar name; emoji names
    send(tricky[4], pairs[0], "psst")
    # A last message with files that replies to a tricky sender's message.
    hello = send(tricky[1], pairs[1], "hi 😀")
    send(viewer, pairs[1], "re", files=[text_upload("a b.txt"), text_upload("c.txt")], reply_to=hello.pk)
    # A group whose creator's account is gone (creator null).
    founder = make_user()
    orphan = group(founder, viewer, title="orphan")
    send(viewer, orphan, "still here")
    founder.delete()
    return viewer, [*pairs, chat, orphan]


def test_chats_equal_drf_fields(make_user, client_for, user_json_path: str) -> None:
    viewer, chats = _scene(make_user)
    client = client_for(viewer)
    response = client.get("/api/chats/")
    members = response.data["results"][0]["members"]
    assert isinstance(members, JSONText) == (user_json_path == "sql")
    listed = response.json()["results"]
    assert sorted(listed, key=lambda c: c["id"]) == sorted(
        (reference_chat(chat.pk, viewer) for chat in chats), key=lambda c: c["id"]
    )
    for chat in chats:
        assert client.get(f"/api/chat/{chat.pk}/").json() == reference_chat(chat.pk, viewer)


def _bodies(client: Any, paths: list[str]) -> tuple[list[bytes], list[int]]:
    bodies, counts = [], []
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, response.content
        bodies.append(response.content)
        counts.append(len(queries))
    return bodies, counts


def test_both_paths_write_the_same_bytes(make_user, client_for, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer, chats = _scene(make_user)
    client = client_for(viewer)
    paths = ["/api/chats/", "/api/chats/?page_size=1", *(f"/api/chat/{chat.pk}/" for chat in chats)]
    client.get("/api/chats/")  # the presence write (throttled) happens once, before the comparison
    sql, sql_queries = _bodies(client, paths)
    monkeypatch.setattr(json_sql, "ENABLED", False)
    python, python_queries = _bodies(client, paths)
    assert sql == python
    assert sql_queries == python_queries


def test_browsable_api_and_indent(make_user, client_for) -> None:
    viewer, _chats = _scene(make_user)
    client = client_for(viewer)
    expected = client.get("/api/chats/").json()
    assert isinstance(client.get("/api/chats/").data["results"][0]["members"], JSONText)
    indented = client.get("/api/chats/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b"{\n") and indented.json() == expected
    html = client.get("/api/chats/", HTTP_ACCEPT="text/html")
    assert html.status_code == 200
    assert f"&quot;username&quot;: &quot;{viewer.username}&quot;".encode() in html.content
