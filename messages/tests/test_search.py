"""Global search (GET /api/messages/search/) and the message list's `?search=`: full-text with Russian and English
stemming, substrings from 3 characters, ranking, snippets, filters, cursors, refusals and the query budget."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chats.tests.helpers import group, private, send, text_upload
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db


def _search(client: APIClient, q: str, **params: object) -> dict:
    response = client.get("/api/messages/search/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _texts(body: dict) -> list[str]:
    return [hit["message"]["text"] for hit in body["results"]]


@pytest.fixture
def chats(creator: User, member: User, outsider: User) -> dict:
    team = group(creator, member, title="Team")
    pair = private(creator, member)
    elsewhere = group(outsider, creator, title="Elsewhere")  # member is not in it
    return {"team": team, "pair": pair, "elsewhere": elsewhere}


def test_stemming_prefixes_and_substrings(as_member: APIClient, creator: User, chats: dict) -> None:
    send(creator, chats["team"], "Новое сообщение в чате")
    send(creator, chats["team"], "We deployed the release")
    send(creator, chats["pair"], "Meeting at noon, coffee after")
    send(creator, chats["elsewhere"], "сообщение, которое мне не видно")
    assert _texts(_search(as_member, "сообщения")) == ["Новое сообщение в чате"]
    assert _texts(_search(as_member, "deploying")) == ["We deployed the release"]
    assert _texts(_search(as_member, "mee")) == ["Meeting at noon, coffee after"]
    assert _texts(_search(as_member, "offe")) == ["Meeting at noon, coffee after"]  # part of a word
    assert _texts(_search(as_member, "COFFEE noon")) == ["Meeting at noon, coffee after"]  # every word
    assert _search(as_member, "coffee tea")["results"] == []


def test_snippets_are_escaped_html_with_marks(as_member: APIClient, creator: User, chats: dict) -> None:
    send(creator, chats["team"], "<script>alert(1)</script> the coffee & tea")
    hit = _search(as_member, "coffee")["results"][0]
    assert hit["snippet"] == "&lt;script&gt;alert(1)&lt;/script&gt; the <mark>coffee</mark> &amp; tea"
    assert "<mark>offe</mark>" in _search(as_member, "offe")["results"][0]["snippet"]
    assert hit["message"] == as_member.get(f"/api/message/{hit['message']['id']}/").json()


def test_ranked_then_recent(as_member: APIClient, creator: User, chats: dict) -> None:
    weak = send(creator, chats["team"], "coffee " + "and other words " * 10)
    strong = send(creator, chats["team"], "coffee coffee coffee")
    newest = send(creator, chats["pair"], "one coffee here " + "filler " * 10)
    ranked = [hit["message"]["id"] for hit in _search(as_member, "coffee")["results"]]
    assert ranked[0] == str(strong.pk)
    recent = [hit["message"]["id"] for hit in _search(as_member, "coffee", order="recent")["results"]]
    assert recent == [str(newest.pk), str(strong.pk), str(weak.pk)]


@pytest.mark.parametrize("order", ["rank", "recent"])
def test_cursor_pages_cover_every_match_once(as_member: APIClient, creator: User, chats: dict, order: str) -> None:
    for n in range(7):
        send(creator, chats["team" if n % 2 else "pair"], "coffee " * (n % 3 + 1) + f"n{n}")
    body = _search(as_member, "coffee", page_size=3, order=order)
    assert body["count"] == 7
    seen = [hit["message"]["id"] for hit in body["results"]]
    while body["next"]:
        body = as_member.get(body["next"]).json()
        seen += [hit["message"]["id"] for hit in body["results"]]
    assert len(seen) == len(set(seen)) == 7


def test_filters(as_member: APIClient, creator: User, member: User, chats: dict) -> None:
    old = send(creator, chats["team"], "coffee in the team")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    send(member, chats["team"], "my coffee")
    send(creator, chats["pair"], "coffee with a file", files=[text_upload()])
    assert sorted(_texts(_search(as_member, "coffee", chat=str(chats["team"].pk)))) == [
        "coffee in the team",
        "my coffee",
    ]
    assert _texts(_search(as_member, "coffee", sender=str(member.pk))) == ["my coffee"]
    assert _texts(_search(as_member, "coffee", has_files="on")) == ["coffee with a file"]
    assert len(_search(as_member, "coffee", has_files="off")["results"]) == 2
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    assert "coffee in the team" not in _texts(_search(as_member, "coffee", since=since))
    until = (timezone.now() - datetime.timedelta(days=5)).isoformat()
    assert _texts(_search(as_member, "coffee", until=until)) == ["coffee in the team"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"q": ""}, 400),
        ({"q": "x" * 201}, 400),
        ({"q": "?!"}, 400),
        ({"q": "a", "order": "best"}, 400),
        ({"q": "a", "has_files": "maybe"}, 400),
        ({"q": "a", "since": "yesterday"}, 400),
        ({"q": "a", "until": "2024-13-01"}, 400),
        ({"q": "a", "chat": "nope"}, 404),
        ({"q": "a", "chat": str(uuid.UUID(int=1))}, 404),
        ({"q": "a", "sender": "nope"}, 404),
        ({"q": "a", "before": "garbage"}, 404),
        ({"q": "a", "order": "recent", "after": "garbage"}, 404),
    ],
)
def test_bad_input(as_member: APIClient, chats: dict, params: dict, status: int) -> None:
    response = as_member.get("/api/messages/search/", params)
    assert response.status_code == status, response.content
    assert response.json()["code"]


def test_another_chat_is_403(as_member: APIClient, chats: dict, anon_client: APIClient) -> None:
    assert as_member.get("/api/messages/search/", {"q": "a", "chat": str(chats["elsewhere"].pk)}).status_code == 403
    assert anon_client.get("/api/messages/search/", {"q": "a"}).status_code == 401


@pytest.mark.parametrize("order", ["rank", "recent"])
def test_constant_queries(
    as_member: APIClient, creator: User, chats: dict, django_assert_max_num_queries, order: str
) -> None:
    for n in range(30):
        send(creator, chats["team" if n % 2 else "pair"], f"coffee {n}", files=[text_upload()] if n % 5 == 0 else [])
    as_member.get("/api/messages/search/", {"q": "coffee"})
    # auth, my chats, count, the page's ids, their messages (with ranks and headlines), readers; the plan mode set
    # and reset (application.plans)
    with django_assert_max_num_queries(8):
        body = _search(as_member, "coffee", page_size=20, order=order)
    assert len(body["results"]) == 20


def test_the_message_list_search_uses_the_same_matching(as_member: APIClient, creator: User, chats: dict) -> None:
    send(creator, chats["team"], "Новое сообщение")
    send(creator, chats["team"], "another coffee")
    listed = as_member.get("/api/messages/", {"chat": str(chats["team"].pk), "search": "сообщения"}).json()
    assert [m["text"] for m in listed["results"]] == ["Новое сообщение"]
    by_part = as_member.get("/api/messages/", {"chat": str(chats["team"].pk), "search": "offe"}).json()
    assert [m["text"] for m in by_part["results"]] == ["another coffee"]
    by_sender = as_member.get("/api/messages/", {"chat": str(chats["team"].pk), "search": creator.username}).json()
    assert by_sender["count"] == 2


@pytest.mark.parametrize("path", ["/api/messages/search/?q=coffee", "chat"])
def test_searches_are_planned_for_their_words(as_member: APIClient, creator: User, chats: dict, path: str) -> None:
    """A statement run a few times on a connection is prepared, and PostgreSQL may then give it one generic plan,
    which fits one word's selectivity to all: a search's matching is never prepared (application.plans), so each
    run is planned for its words; the rest of the request is prepared as usual, and so is what follows it."""
    from django.conf import settings
    from django.db import connection

    send(creator, chats["team"], "coffee at noon")
    url = f"/api/messages/?chat={chats['team'].pk}&search=coffee" if path == "chat" else path
    for _ in range(12):
        assert as_member.get(url).json()["count"] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor]
    assert prepared
    assert not [statement for statement in prepared if "search_vector" in statement]
    assert connection.connection.prepare_threshold == settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
