"""The chat list: latest activity first with previews, unread badges that follow messages and reads, online dots,
and search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from centrifugo.tests.stack import Api
from users.models import User


def test_order_previews_badges_dots_and_search(people: Any, make_user: Any, messenger: Any) -> None:
    alice = make_user(username="alice", first_name="Alice", last_name="A")
    friends = {name: make_user(username=name, first_name=name.capitalize(), last_name="B") for name in ("bob", "carol")}
    chats = {}
    for name, user in friends.items():
        api = Api(messenger.url, user)
        chat = api.call("POST", "/api/chats/", 201, json={"is_private": True, "members": [str(alice.id)]})
        chats[name] = (api, chat["id"])
        api.send(chat["id"], f"first from {name}")
    User.objects.filter(username="carol").update(last_online_at=timezone.now() - timedelta(hours=2))

    person = people("alice").login()
    rows = person.page.get_by_role("list", name="Chats").get_by_role("link")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Carol B")  # the latest activity first
    expect(rows.nth(0)).to_contain_text("first from carol")
    expect(person.chat_row("Carol B").get_by_label("1 unread message")).to_be_visible()

    # Online dots: Bob was seen just now, Carol two hours ago.
    expect(person.chat_row("Bob B").locator(".online-dot")).to_have_count(1)
    expect(person.chat_row("Carol B").locator(".online-dot")).to_have_count(0)

    # A new message moves its chat to the top, live, with the badge counting up.
    api, chat = chats["bob"]
    api.send(chat, "second from bob")
    expect(rows.nth(0)).to_contain_text("second from bob")
    expect(person.chat_row("Bob B").get_by_label("2 unread messages")).to_be_visible()

    # Reading clears the badge; my own message is previewed as mine.
    person.open_chat("Bob B")
    expect(person.chat_row("Bob B").locator(".badge")).to_have_count(0)
    person.send("hello both")
    expect(person.chat_row("Bob B")).to_contain_text("You: hello both")

    # Search filters the list by title or the other person's names.
    search = person.page.get_by_label("Search chats")
    search.fill("car")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Carol B")
    search.fill("nobody-like-this")
    expect(person.page.get_by_text("Nothing found.")).to_be_visible()
    search.fill("")
    expect(rows).to_have_count(2)
