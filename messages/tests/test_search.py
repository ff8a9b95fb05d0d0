"""Global search (GET /api/messages/search/) and the message list's `?search=`: full-text with Russian and English
stemming, substrings from 3 characters, ranking, snippets, filters, cursors, refusals and the query budget."""

from __future__ import annotations

import datetime
import html
import re
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from chats.models import Chat
from chats.tests.helpers import group, private, send, text_upload
from messages import selectors
from messages.models import Message
from messages.search import _HEADLINE, MARKS, SEARCH_WINDOW, SNIPPET_LENGTH, SearchQuery
from users.models import User

pytestmark = pytest.mark.django_db


def _search(client: APIClient, q: str, **params: object) -> dict:
    response = client.get("/api/messages/search/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _texts(body: dict) -> list[str]:
    return [hit["message"]["text"] for hit in body["results"]]


def _ids(body: dict) -> list[str]:
    return [hit["message"]["id"] for hit in body["results"]]


def reference_snippet(query: SearchQuery, text: str | None, headline: str | None) -> str:
    """The snippet as docs/api-chats.md describes it, with Python's regular expressions: the part of the text around
    its first match, escaped, with <mark> around every occurrence of the words PostgreSQL's headline marked (as
    whole words, in any case) or, when it marked none, of the text as typed; `…` where the text was cut."""
    text = text or ""
    words = sorted({word.lower() for word in re.findall("\ue000(.*?)\ue001", headline or "")}, key=len, reverse=True)
    if words:
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE)
    elif query.substring:
        pattern = re.compile(re.escape(query.text), re.IGNORECASE)
    else:
        return html.escape(text[:SNIPPET_LENGTH] + ("…" if len(text) > SNIPPET_LENGTH else ""), quote=False)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - SNIPPET_LENGTH // 3)
    while first is not None and start > 0 and text[start - 1].isalnum():  # back to the start of the word there
        start -= 1
    end = min(len(text), start + SNIPPET_LENGTH)
    parts = ["…" if start else ""]
    position = start
    # From the snippet's start (seeing the character before it), up to its end (seeing nothing after it).
    for match in pattern.finditer(text, start, end):
        parts += [html.escape(text[position : match.start()], quote=False), "<mark>"]
        parts += [html.escape(match.group(0), quote=False), "</mark>"]
        position = match.end()
    parts += [html.escape(text[position:end], quote=False), "…" if end < len(text) else ""]
    return "".join(parts)


def _headline(query: SearchQuery, text: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_headline('russian', %s, to_tsquery('russian', %s) || to_tsquery('english', %s), %s)",
            [text, query.prefixes, query.prefixes, _HEADLINE],
        )
        return cursor.fetchone()[0]


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


LONG = "filler words " * 12


@pytest.mark.parametrize(
    ("q", "text"),
    [
        ("coffee", "<script>alert(1)</script> the coffee & tea"),
        ("coffee", "Coffee, COFFEE and coffees; _coffee, coffee_ and decaf-coffee"),  # stems, cases, word edges
        ("coffee", f"{LONG}then coffee at noon, {LONG}coffee again"),  # cut on both sides
        ("coffee", "a" * 300 + " coffee"),  # the start moves back over a long word: no match inside
        ("coffee", LONG + "_" + "coffee " * 40),  # the character before the start is seen
        ("coffee", "coffee " * 30 + "coffeecoffee"),  # the end: a match cut there is not a whole word
        ("сообщения", "Новое СООБЩЕНИЕ, и ещё сообщения: сообщение"),
        ("offe", "COFFEE, offer, Offe and toffee"),  # part of words: the text as typed, in any case
        ("e, c", "Meeting at one, coffee, then more"),
        ("a.b", "a.b and axb and A.B"),  # what regular expressions treat as syntax matches as it is
        ("(x)+[y]", "call (x)+[y] or (X)+[Y] now"),
        ("50$", "costs 50$, 500$ or 50$."),
        ("^_^", "smile ^_^ and ^_^!"),
        ("c++", "I like C++ and c++"),
        ("<b>", "text with <b>bold</b> and &lt;b&gt;"),
        ("coffee", "line one\ncoffee\n\ncoffee, line three"),
        ("coffee", "emoji 👍🏽 coffee ☕ coffee 👨‍👩‍👧"),
        ("tea", "\ue000tea\ue001 marked by the sender, and tea"),  # the characters that mark matches on the way
        ("co", "coffee, cocoa and cola"),  # two characters: words only
    ],
)
def test_snippets_equal_the_reference(as_member: APIClient, creator: User, chats: dict, q: str, text: str) -> None:
    """PostgreSQL writes each hit's snippet: the same as the reference, whatever the text."""
    send(creator, chats["team"], text)
    query = SearchQuery.parse(q)
    assert query is not None
    # The characters that mark matches on the way are not the text's: its own are shown as U+FFFD.
    unmark = str.maketrans(MARKS, "\ufffd\ufffd")
    shown, typed = text.translate(unmark), SearchQuery(q.translate(unmark), query.prefixes)
    for order in ("rank", "recent"):
        (hit,) = _search(as_member, q, order=order)["results"]
        assert hit["message"]["text"] == text
        assert hit["snippet"] == reference_snippet(typed, shown, _headline(query, shown))


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


@pytest.mark.parametrize("order", ["rank", "recent"])
def test_filters(as_member: APIClient, creator: User, member: User, chats: dict, order: str) -> None:
    old = send(creator, chats["team"], "coffee in the team")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    send(member, chats["team"], "my coffee")
    send(creator, chats["pair"], "coffee with a file", files=[text_upload()])
    send(creator, chats["elsewhere"], "coffee elsewhere")  # not a chat of the viewer's

    def texts(**params: object) -> list[str]:
        body = _search(as_member, "coffee", order=order, **params)
        assert body["count"] == len(body["results"])
        return sorted(_texts(body))

    assert texts() == ["coffee in the team", "coffee with a file", "my coffee"]
    assert texts(chat=str(chats["team"].pk)) == ["coffee in the team", "my coffee"]
    assert texts(sender=str(member.pk)) == ["my coffee"]
    assert texts(has_files="on") == ["coffee with a file"]
    assert texts(has_files="off") == ["coffee in the team", "my coffee"]
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    assert texts(since=since) == ["coffee with a file", "my coffee"]
    until = (timezone.now() - datetime.timedelta(days=5)).isoformat()
    assert texts(until=until) == ["coffee in the team"]
    assert texts(chat=str(chats["team"].pk), sender=str(creator.pk), until=until, has_files="off") == [
        "coffee in the team"
    ]
    assert texts(chat=str(chats["pair"].pk), since=since, has_files="off") == []


@pytest.mark.parametrize("order", ["rank", "recent"])
def test_every_paging_mode_gives_the_same_order(as_member: APIClient, creator: User, chats: dict, order: str) -> None:
    for n in range(7):
        send(creator, chats["team" if n % 2 else "pair"], "coffee " * (n % 3 + 1) + f"n{n}")
    everything = _ids(_search(as_member, "coffee", order=order, page_size=100))
    assert len(everything) == 7
    # Cursors: `next` to the end, then `previous` back to the start.
    pages = [_search(as_member, "coffee", order=order, page_size=3)]
    while pages[-1]["next"]:
        pages.append(as_member.get(pages[-1]["next"]).json())
    assert [_ids(page) for page in pages] == [everything[0:3], everything[3:6], everything[6:]]
    assert [page["count"] for page in pages] == [7, 7, 7]
    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(as_member.get(back[-1]["previous"]).json())
    assert [_ids(page) for page in back] == [everything[6:], everything[3:6], everything[0:3]]
    # Page numbers.
    numbered = [_search(as_member, "coffee", order=order, page_size=3, page=page) for page in (1, 2, 3)]
    assert [_ids(page) for page in numbered] == [everything[0:3], everything[3:6], everything[6:]]
    assert [(page["previous"] is None, page["next"] is None) for page in numbered] == [
        (True, False),
        (False, False),
        (False, True),
    ]
    for page in (4, 10**17):
        response = as_member.get("/api/messages/search/", {"q": "coffee", "order": order, "page_size": 3, "page": page})
        assert response.status_code == 404
    # Limit and offset.
    assert _ids(_search(as_member, "coffee", order=order, limit=3, offset=2)) == everything[2:5]
    for offset in (7, 10**17):
        body = _search(as_member, "coffee", order=order, limit=3, offset=offset)
        assert body["results"] == [] and body["count"] == 7


def _many(chat: Chat, sender: User, count: int) -> None:
    """`count` messages with "coffee", a second apart and older than now, among as many without it (written at
    once: a thousand sends would take long)."""
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            chat=chat,
            sender=sender,
            seq=n + 1,
            text=f"coffee number {n}" if n % 2 else f"tea number {n}",
            created_at=now - datetime.timedelta(seconds=2 * count - n),
        )
        for n in range(2 * count)
    )
    # The counters a send keeps (the search reads how many messages its chats hold).
    Chat.objects.filter(pk=chat.pk).update(last_seq=2 * count, message_count=2 * count)


# How many of the newest messages the first phase walks (messages.selectors._bounded_newest): the default (one
# phase for these few messages); a few (the second phase finds them all, the older than the walk included); just
# enough for SEARCH_WINDOW + 1 matches' 2 * (SEARCH_WINDOW + 1) messages to fill the window in the first.
@pytest.mark.parametrize("walk", [None, 10, 2 * SEARCH_WINDOW + 1])
@pytest.mark.parametrize("order", ["rank", "recent"])
@pytest.mark.parametrize("matches", [0, 1, SEARCH_WINDOW, SEARCH_WINDOW + 1])
def test_count_is_the_newest_window(
    as_member: APIClient,
    creator: User,
    member: User,
    order: str,
    matches: int,
    walk: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`count` counts the matches up to SEARCH_WINDOW, whatever the page: `order=rank` pages through those, and
    `order=recent` through every match, newest first; the same whether the newest messages walked hold the window
    or not."""
    if walk is not None:
        monkeypatch.setattr(selectors, "SEARCH_WALK", walk)
    chat = group(creator, member)
    _many(chat, creator, matches)
    expected = min(matches, SEARCH_WINDOW)
    newest = [
        str(pk)
        for pk in Message.objects.filter(chat=chat, text__startswith="coffee")
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    ]
    pages = [_search(as_member, "coffee", order=order, page_size=100)]
    while pages[-1]["next"]:
        pages.append(as_member.get(pages[-1]["next"]).json())
    assert {page["count"] for page in pages} == {expected}
    seen = [pk for page in pages for pk in _ids(page)]
    if order == "recent":
        assert seen == newest
    else:
        assert sorted(seen) == sorted(newest[:SEARCH_WINDOW])
    # Page numbers end with the count; limit/offset pages past it are empty, and a recent page that starts in the
    # newest SEARCH_WINDOW reaches past it.
    last = -(-expected // 100) or 1
    assert _search(as_member, "coffee", order=order, page_size=100, page=last)["next"] is None
    page = as_member.get("/api/messages/search/", {"q": "coffee", "order": order, "page_size": 100, "page": last + 1})
    assert page.status_code == 404
    edge = _search(as_member, "coffee", order=order, limit=10, offset=SEARCH_WINDOW - 5)
    assert edge["count"] == expected
    if order == "recent":
        assert _ids(edge) == newest[SEARCH_WINDOW - 5 : SEARCH_WINDOW + 5]
    else:
        assert len(edge["results"]) == max(0, min(5, expected - SEARCH_WINDOW + 5))
    assert _search(as_member, "coffee", order=order, limit=10, offset=SEARCH_WINDOW)["results"] == []


@pytest.mark.parametrize("walk", [None, 10])
def test_a_recent_page_past_a_cursor_is_cut_from_a_window_holding_every_match(
    as_member: APIClient, creator: User, member: User, walk: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When fewer than SEARCH_WINDOW messages match, the window holds them all and the next pages of `order=recent`
    come from it: the walk of the table by time (which for a rare word reads every message) is not even started."""
    from django.test.utils import CaptureQueriesContext

    if walk is not None:
        monkeypatch.setattr(selectors, "SEARCH_WALK", walk)
    chat = group(creator, member)
    _many(chat, creator, 30)
    first = _search(as_member, "coffee", order="recent", page_size=10)
    with CaptureQueriesContext(connection) as queries:
        second = as_member.get(first["next"]).json()
    assert _ids(second) == [
        str(pk)
        for pk in Message.objects.filter(chat=chat, text__startswith="coffee")
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[10:20]
    ]
    (hits,) = [query["sql"] for query in queries.captured_queries if "hits AS MATERIALIZED" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {hits}")
        plan = cursor.fetchone()[0][0]["Plan"]

    def find(node: dict, test: object) -> list[dict]:
        found = [node] if test(node) else []  # type: ignore[operator]
        return found + [hit for child in node.get("Plans", []) for hit in find(child, test)]

    (cte,) = find(plan, lambda node: node.get("Subplan Name") == "CTE hits")
    (union,) = find(cte, lambda node: node["Node Type"] == "Append")
    inside, walk_branch = union["Plans"]

    def reads_messages(node: dict) -> bool:
        here = node.get("Relation Name") == Message._meta.db_table and node.get("Actual Loops", 0) > 0
        return here or any(reads_messages(child) for child in node.get("Plans", []))

    assert not reads_messages(walk_branch)
    assert inside["Actual Rows"] > 0  # the page (and one more, for `next`)


def test_a_query_without_words_finds_nothing(as_member: APIClient, chats: dict) -> None:
    """Punctuation alone is a search that matches nothing (a 200, like any other search), in every paging mode."""
    for params in ({"q": "?!"}, {"q": "—", "page": 1}, {"q": "...", "limit": 5}, {"q": "@", "order": "recent"}):
        response = as_member.get("/api/messages/search/", params)
        assert response.status_code == 200, (params, response.data)
        assert response.data == {"count": 0, "next": None, "previous": None, "results": []}
    assert as_member.get("/api/messages/search/", {"q": "?!", "page": 2}).status_code == 404
    assert as_member.get("/api/messages/search/", {"q": "?!", "before": "garbage"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "status"),
    [({"q": "?!", "chat": str(uuid.UUID(int=1))}, 404), ({"q": "?!", "since": "yesterday"}, 400)],
)
def test_a_query_without_words_still_checks_its_filters(
    as_member: APIClient, chats: dict, params: dict, status: int
) -> None:
    assert as_member.get("/api/messages/search/", params).status_code == status


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"q": ""}, 400),
        ({"q": "x" * 201}, 400),
        ({"q": " " + "x" * 200}, 400),  # the limit is the schema's: on `q` as sent
        ({"q": "  "}, 400),
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
@pytest.mark.parametrize("paging", [{}, {"page": 2}, {"limit": 20, "offset": 5}, {"before": None}, {"after": None}])
def test_constant_queries(
    as_member: APIClient, creator: User, chats: dict, django_assert_max_num_queries, order: str, paging: dict
) -> None:
    for n in range(50):
        send(creator, chats["team" if n % 2 else "pair"], f"coffee {n}", files=[text_upload()] if n % 5 == 0 else [])
    first = _search(as_member, "coffee", page_size=20, order=order)
    last = as_member.get(first["next"]).json()
    if "before" in paging:
        paging = {"before": first["next"].split("before=")[1].split("&")[0]}
    if "after" in paging:
        paging = {"after": last["previous"].split("after=")[1].split("&")[0]}
    # auth, my chats, the page's hits with the count, their JSON (messages, readers, snippets)
    with django_assert_max_num_queries(4):
        body = _search(as_member, "coffee", page_size=20, order=order, **paging)
    assert len(body["results"]) == 20 and body["count"] == 50
    # one chat: its membership check instead of my chats
    with django_assert_max_num_queries(4):
        assert _search(as_member, "coffee", order=order, chat=str(chats["team"].pk), **paging)["count"] == 25
    # nothing found: no JSON to write
    with django_assert_max_num_queries(3):
        assert _search(as_member, "tea", order=order)["count"] == 0


def test_the_message_list_search_uses_the_same_matching(as_member: APIClient, creator: User, chats: dict) -> None:
    send(creator, chats["team"], "Новое сообщение")
    send(creator, chats["team"], "another coffee")
    listed = as_member.get("/api/messages/", {"chat": str(chats["team"].pk), "search": "сообщения"}).json()
    assert [m["text"] for m in listed["results"]] == ["Новое сообщение"]
    by_part = as_member.get("/api/messages/", {"chat": str(chats["team"].pk), "search": "offe"}).json()
    assert [m["text"] for m in by_part["results"]] == ["another coffee"]
    by_sender = as_member.get("/api/messages/", {"chat": str(chats["team"].pk), "search": creator.username}).json()
    assert by_sender["count"] == 2


# How many messages the message list's search walks before it reads the indexes: the default (one phase for these
# few messages), or a few (pages reach past the walk and its second phase finds the rest).
@pytest.mark.parametrize("walk", [None, 3])
def test_the_message_list_search_pages_match_the_list_in_every_mode(
    as_member: APIClient,
    creator: User,
    member: User,
    make_user,
    walk: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every paging mode of the message list's `?search=` gives the chat's matching messages in the list's order:
    by text, or by the sender's name — a sender who has left the group included."""
    if walk is not None:
        monkeypatch.setattr(selectors, "CHAT_SEARCH_WALK", walk)
    from chats.services import chat_leave

    zoe = make_user(first_name="Zoe")
    chat = group(creator, member, zoe)
    sent = []
    for n in range(40):
        text = "coffee break" if n % 7 == 0 else "Ⓐ plan (draft)" if n % 6 == 0 else f"note {n}"
        sent.append(send(zoe if n % 5 == 0 else creator, chat, text))
    chat_leave(actor=zoe, chat_id=chat.pk)
    for query, matching in [
        ("coffee", [m for m in sent if "coffee" in m.text]),
        ("zoe", [m for m in sent if m.sender_id == zoe.pk]),
        ("nothing-like-it", []),
        # Without a word: as typed, in any case.
        ("(", [m for m in sent if "(" in m.text]),
        ("ⓐ", [m for m in sent if "Ⓐ" in m.text]),
    ]:
        expected = [str(m.pk) for m in reversed(matching)]
        url = "/api/messages/"

        def ids(body: dict) -> list[str]:
            return [m["id"] for m in body["results"]]

        pages = [as_member.get(url, {"chat": str(chat.pk), "search": query, "page_size": 3}).json()]
        while pages[-1]["next"]:
            pages.append(as_member.get(pages[-1]["next"]).json())
        assert [pk for page in pages for pk in ids(page)] == expected
        assert {page["count"] for page in pages} == {len(expected)}
        # Back from the oldest page with `previous` (after=<first>).
        back = [pages[-1]]
        while back[-1]["previous"]:
            back.append(as_member.get(back[-1]["previous"]).json())
        assert [pk for page in reversed(back) for pk in ids(page)] == expected
        for number in range(1, max(1, -(-len(expected) // 4)) + 1):
            body = as_member.get(url, {"chat": str(chat.pk), "search": query, "page": number, "page_size": 4}).json()
            assert ids(body) == expected[(number - 1) * 4 : number * 4]
        for offset in (0, 2, 5):
            body = as_member.get(url, {"chat": str(chat.pk), "search": query, "offset": offset, "limit": 3}).json()
            assert ids(body) == expected[offset : offset + 3]
        # Cursors at messages that do not match: the oldest, the newest, one in the middle.
        for cursor in (sent[0], sent[-1], sent[20]):
            older = [str(m.pk) for m in reversed(matching) if m.seq < cursor.seq][:4]
            newer = [str(m.pk) for m in reversed(matching) if m.seq > cursor.seq][-4:]
            params = {"chat": str(chat.pk), "search": query, "page_size": 4}
            assert ids(as_member.get(url, {**params, "before": str(cursor.pk)}).json()) == older
            assert ids(as_member.get(url, {**params, "after": str(cursor.pk)}).json()) == newer


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
