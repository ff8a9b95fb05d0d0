"""A big group (more than the contract's 100 members) publishes its message events on its own channel `chat:<id>`,
not on the members' personal channels: the client subscribes to it for each such chat in its list, with the same
recovery as the personal channel, and lets it go when the chat leaves the list."""

from __future__ import annotations

import time
from typing import Any

from cent import ChannelsRequest
from django.conf import settings
from playwright.sync_api import expect

from centrifugo.api_session import CentrifugoAPI
from chats.services import chat_create
from web.tests.seed import seed_users
from web.tests.test_recovery import WEBSOCKET_ERRORS, through_an_outage


def wait_for_subscribers(messenger: Any, channel: str, count: int) -> None:
    """Wait until `count` connections are subscribed to `channel` (Centrifugo's `channels` API)."""
    api = CentrifugoAPI(messenger.centrifugo.api_url, settings.CENTRIFUGO_API_KEY, timeout=5)
    seen = None
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            info = api.send(ChannelsRequest(pattern=channel)).channels.get(channel)
            seen = info.num_clients if info else 0
            if seen == count:
                return
            time.sleep(0.2)
    finally:
        api.close()
    raise AssertionError(f"{channel}: {seen} subscribers, not {count}")


def test_a_big_groups_messages_arrive_live_on_its_channel(
    people: Any, make_user: Any, messenger: Any, console_errors: Any
) -> None:
    console_errors.allow(WEBSOCKET_ERRORS)
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    make_user(username="carol", first_name="Carol", last_name="C")
    others = seed_users(settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS)
    chat = chat_create(creator=alice_user, members=[bob_user.pk, *(u.pk for u in others)], title="Town hall").chat
    channel = f"chat:{chat.pk}"
    alice, bob = people("alice").login(), people("bob").login()

    alice.open_chat("Town hall")
    expect(alice.page.get_by_text("102 members")).to_be_visible()
    # Its members are not in the chat itself: the settings list them a page at a time.
    alice.page.get_by_role("button", name="Group settings").click()
    settings_dialog = alice.page.get_by_role("dialog", name="Group settings")
    expect(settings_dialog.get_by_role("heading", name="102 members")).to_be_visible()
    listed = settings_dialog.locator("li.person")
    expect(listed).to_have_count(50)
    expect(listed.first).to_contain_text("Alice A")
    for count in (100, 102):
        settings_dialog.get_by_role("button", name="Show more members").click()
        expect(listed).to_have_count(count)
    expect(settings_dialog.get_by_role("button", name="Show more members")).to_have_count(0)
    settings_dialog.get_by_role("button", name="Close").click()

    bob.open_chat("Town hall")
    bob.send("hello, everyone")
    expect(alice.message("hello, everyone")).to_be_visible()
    expect(alice.message("hello, everyone").locator(".sender")).to_have_text("Bob B")

    # Not open: the list's preview and badge follow the chat's channel too.
    make_user(username="dave", first_name="Dave", last_name="D")
    alice.start_private_chat("dave")
    bob.send("while you were away")
    expect(alice.chat_row("Town hall")).to_contain_text("while you were away")
    expect(alice.chat_row("Town hall").get_by_label("1 unread message")).to_be_visible()

    # Centrifugo restarts and loses its history: what was missed is refetched, once each, in order.
    alice.open_chat("Town hall")
    through_an_outage(messenger, alice, bob, lose_history=True)
    for n in range(1, 4):
        expect(alice.message(f"during the outage {n}")).to_have_count(1)
    texts = alice.texts()
    assert texts[-4:] == ["while you were away", *(f"during the outage {n}" for n in range(1, 4))], texts

    # Leaving the group lets its channel go.
    wait_for_subscribers(messenger, channel, 2)
    bob.page.get_by_role("button", name="Group settings").click()
    bob.page.get_by_role("button", name="Leave the group").click()
    bob.page.get_by_role("dialog", name="Leave the group?").get_by_role("button", name="Leave").click()
    expect(bob.chat_row("Town hall")).to_have_count(0)
    wait_for_subscribers(messenger, channel, 1)


def test_an_at_sign_in_a_big_group_asks_the_server_for_members(people: Any, make_user: Any) -> None:
    # A big group lists no members in itself: "@" suggests those the members endpoint finds, ranked as in any chat.
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    members = [
        make_user(username="xannax", first_name="X", last_name="X"),  # "ann" inside the username: last
        make_user(username="kim", first_name="Annika", last_name="K"),  # a first name that starts with it
        make_user(username="annabel", first_name="Bel", last_name="B"),  # a username that does: first
        *seed_users(settings.CONSTANTS.CONTRACT_GROUP_MAX_MEMBERS),
    ]
    make_user(username="anne", first_name="Not", last_name="Member")  # never suggested
    chat_create(creator=alice_user, members=[m.pk for m in members], title="Town hall")
    alice = people("alice").login()
    alice.open_chat("Town hall")
    choices = alice.page.get_by_role("listbox", name="Mention a member")
    composer = alice.composer

    composer.press_sequentially("hi @")
    expect(choices.get_by_role("option")).to_have_count(6)  # the first members to join, me left out
    expect(choices.get_by_role("option").first).to_have_text("X X @xannax")
    composer.press_sequentially("ann")
    expect(choices.get_by_role("option")).to_have_text(["Bel B @annabel", "Annika K @kim", "X X @xannax"])
    composer.press_sequentially("i")
    expect(choices.get_by_role("option")).to_have_text(["Annika K @kim"])
    composer.press("Tab")
    expect(composer).to_have_value("hi @kim ")
    composer.press_sequentially("@filler99")
    expect(choices.get_by_role("option")).to_have_text(["Filler 99 @filler99"])
    composer.press("Enter")
    composer.press_sequentially("welcome")
    composer.press("Enter")
    expect(alice.message("hi @kim @filler99 welcome")).to_be_visible()
