"""What the API added to chats, in the browser: reactions, typing, pins, mute and the unread total, mentions —
each live for the other person."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from chats.models import Membership
from chats.services import chat_create
from messages.models import Message
from messages.services import message_create, message_delete
from web.tests.conftest import Person
from web.tests.seed import seed_history
from web.tests.test_conversation import picture


def chatting(people: Any, make_user: Any) -> tuple[Person, Person]:
    """Alice and Bob, each with their private chat open."""
    make_user(username="alice", first_name="Alice", last_name="A")
    make_user(username="bob", first_name="Bob", last_name="B")
    alice, bob = people("alice").login(), people("bob").login()
    alice.start_private_chat("bob")
    alice.send("hello")
    bob.open_chat("Alice A")
    expect(bob.message("hello")).to_be_visible()
    return alice, bob


def reaction(person: Person, text: str, emoji: str) -> Any:
    return person.message(text).get_by_role("list", name="Reactions").get_by_role("button").filter(has_text=emoji)


def test_reactions_are_toggled_and_live(people: Any, make_user: Any) -> None:
    alice, bob = chatting(people, make_user)

    bob.message_action("hello", "React with 👍")
    expect(reaction(bob, "hello", "👍")).to_have_text("👍 1")
    expect(reaction(bob, "hello", "👍")).to_have_attribute("aria-pressed", "true")
    # Alice sees it live, and who reacted.
    expect(reaction(alice, "hello", "👍")).to_have_accessible_name("👍 1: Bob B")
    expect(reaction(alice, "hello", "👍")).to_have_attribute("aria-pressed", "false")

    # She adds hers by the chip itself; a second emoji from the menu.
    reaction(alice, "hello", "👍").click()
    expect(reaction(alice, "hello", "👍")).to_have_accessible_name("👍 2: Bob B, You")
    alice.message_action("hello", "React with 😂")
    expect(reaction(bob, "hello", "👍")).to_have_accessible_name("👍 2: You, Alice A")
    expect(reaction(bob, "hello", "😂")).to_have_text("😂 1")

    # Bob takes his back.
    reaction(bob, "hello", "👍").click()
    expect(reaction(alice, "hello", "👍")).to_have_accessible_name("👍 1: You")
    expect(reaction(bob, "hello", "👍")).to_have_attribute("aria-pressed", "false")


def test_typing_is_shown_until_it_expires_or_the_message_arrives(people: Any, make_user: Any) -> None:
    alice, bob = chatting(people, make_user)
    told: list[str] = []
    alice.page.on("request", lambda request: request.url.endswith("/typing/") and told.append(request.method))
    typing = bob.page.get_by_text("Alice A is typing…")
    alice.page.wait_for_timeout(3_100)  # her "hello" was typed: the next is told after 3 s (as the API throttles)

    alice.composer.press_sequentially("I am wri", delay=100)
    expect(typing.first).to_be_visible()
    expect(bob.chat_row("Alice A")).to_contain_text("Alice A is typing…")
    assert told == ["POST"]  # once for the whole burst of keystrokes
    # Nothing more: it expires by itself (6 s).
    expect(typing).to_have_count(0, timeout=10_000)
    expect(bob.page.locator(".chat-header")).to_contain_text("online")

    # Typing again, then sending: the message ends it at once.
    alice.composer.press_sequentially("ting", delay=50)
    expect(typing.first).to_be_visible()
    alice.composer.press("Enter")
    expect(bob.message("I am writing")).to_be_visible()
    expect(typing).to_have_count(0, timeout=3_000)


def test_pins_show_the_latest_at_the_top(people: Any, make_user: Any) -> None:
    alice, bob = chatting(people, make_user)
    bar = {person: person.page.get_by_role("button", name=re.compile("^Pinned message")) for person in (alice, bob)}

    # Either member of a private chat pins; both see it at once.
    bob.message_action("hello", "Pin")
    for person in (alice, bob):
        expect(bar[person]).to_have_accessible_name("Pinned message hello")
    alice.send("agenda: lunch")
    alice.message_action("agenda: lunch", "Pin")
    expect(bar[bob]).to_have_accessible_name("Pinned message agenda: lunch")
    expect(bob.message("agenda: lunch")).to_contain_text("pinned")

    # Unpinning the latest falls back to the one before.
    bob.message_action("agenda: lunch", "Unpin")
    for person in (alice, bob):
        expect(bar[person]).to_have_accessible_name("Pinned message hello")
    alice.message_action("hello", "Unpin")
    for person in (alice, bob):
        expect(bar[person]).to_have_count(0)


def test_only_a_groups_creator_pins(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    chat = chat_create(creator=alice_user, members=[bob_user.pk], title="Club").chat
    message_create(sender=bob_user, chat_id=chat.pk, text="pin me")
    alice, bob = people("alice").login(), people("bob").login()
    for person in (alice, bob):
        person.open_chat("Club")
    bob.message("pin me").hover()
    bob.message("pin me").get_by_role("button", name="Message actions").click()
    expect(bob.page.get_by_role("menuitem", name="Reply")).to_be_visible()
    expect(bob.page.get_by_role("menuitem", name="Pin")).to_have_count(0)
    alice.message_action("pin me", "Pin")
    expect(bob.page.get_by_role("button", name="Pinned message pin me")).to_be_visible()


def test_a_muted_chat_stays_out_of_the_unread_total(people: Any, make_user: Any) -> None:
    alice, bob = chatting(people, make_user)
    page = bob.page
    status = page.get_by_role("dialog", name="About this chat").locator(".notifications-state")

    page.get_by_role("button", name="About this chat").click()
    for label, hours in [("Mute for 1 hour", 1), ("Mute for 8 hours", 8), ("Mute for 1 day", 24)]:
        page.get_by_role("button", name=label).click()
        expect(status).to_contain_text("Muted until")
        until = Membership.objects.get(user__username="bob").muted_until
        assert until is not None
        assert abs((until - timezone.now()) - timedelta(hours=hours)) < timedelta(minutes=1), (label, until)
        page.get_by_role("button", name="Unmute").click()
        expect(status).to_have_text("On")
    page.get_by_role("button", name="Mute forever").click()
    expect(status).to_have_text("Muted")
    page.get_by_role("button", name="Close").click()
    expect(bob.chat_row("Alice A").get_by_role("img", name="Muted")).to_be_visible()

    # A message in the muted chat: its own count grows, the total (title, navigation badge) does not.
    page.get_by_role("link", name="Feed").click()
    alice.send("quiet")
    page.get_by_role("link", name="Chats").click()
    expect(bob.chat_row("Alice A").get_by_label("1 unread message")).to_be_visible()
    expect(page).to_have_title("Chats · Messenger")

    # Unmuted (reading it on the way), the next one counts, live.
    bob.open_chat("Alice A")
    expect(bob.chat_row("Alice A").get_by_label("1 unread message")).to_have_count(0)
    page.get_by_role("button", name="About this chat").click()
    page.get_by_role("button", name="Unmute").click()
    expect(status).to_have_text("On")
    page.get_by_role("button", name="Close").click()
    expect(bob.chat_row("Alice A").get_by_role("img", name="Muted")).to_have_count(0)
    page.get_by_role("link", name="Feed").click()
    alice.send("loud")
    expect(page).to_have_title("(1) Feed · Messenger")
    expect(page.get_by_role("navigation").get_by_label("1 chat with unread messages")).to_be_visible()


def test_a_mute_that_ends_counts_again_with_the_page_open(people: Any, make_user: Any) -> None:
    """The server says nothing when a mute ends: the open page shows the chat unmuted then, and its unread message
    in the total, by itself."""
    from chats.services import chat_mute

    _alice, bob = chatting(people, make_user)
    page = bob.page
    hello = Message.objects.select_related("sender").get(text="hello")
    chat_id, alice_user = hello.chat_id, hello.sender
    bob_user = hello.chat.members.get(username="bob")
    expect(bob.chat_row("Alice A").get_by_label("1 unread message")).to_have_count(0)  # "hello" read
    page.get_by_role("link", name="Feed").click()
    ends = timezone.now() + timedelta(seconds=8)
    chat_mute(actor=bob_user, chat_id=chat_id, until=ends)  # as from another device: Bob hears of it by its event
    page.get_by_role("link", name="Chats").click()
    expect(bob.chat_row("Alice A").get_by_role("img", name="Muted")).to_be_visible()
    message_create(sender=alice_user, chat_id=chat_id, text="quiet")
    expect(bob.chat_row("Alice A").get_by_label("1 unread message")).to_be_visible()
    assert timezone.now() < ends, "too slow to see the chat muted"
    expect(page).to_have_title("Chats · Messenger")
    # Then the mute ends: no event, no reload.
    expect(bob.chat_row("Alice A").get_by_role("img", name="Muted")).to_have_count(0, timeout=20_000)
    assert timezone.now() >= ends
    expect(page).to_have_title("(1) Chats · Messenger")
    expect(page.get_by_role("navigation").get_by_label("1 chat with unread messages")).to_be_visible()


def wait_for(page: Any, condition: Any, what: str, timeout: float = 15) -> None:
    """Let the page run (Playwright's callbacks with it) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {timeout} s"
        page.wait_for_timeout(20)


class HeldFrames:
    """Bob's Centrifugo WebSocket through Playwright: frames from the server that contain `text` are held back
    while `holding`, until `release()` (to put an event behind a REST answer that already carries its news)."""

    def __init__(self, page: Any, text: str) -> None:
        self.text, self.holding, self.held = text, False, []
        self.route: Any = None
        page.route_web_socket(re.compile(r"/connection/websocket$"), self.connect)

    def connect(self, route: Any) -> None:
        self.route = route
        server = route.connect_to_server()
        server.on_message(self.from_server)
        route.on_message(server.send)

    def from_server(self, frame: str | bytes) -> None:
        if self.holding and self.text in str(frame):
            self.held.append(frame)
        else:
            self.route.send(frame)

    def wait_held(self, page: Any) -> None:
        wait_for(page, lambda: bool(self.held), "a frame with " + repr(self.text))

    def release(self) -> None:
        self.holding = False
        for frame in self.held:
            self.route.send(frame)
        self.held.clear()


def test_a_chat_answer_ahead_of_its_message_event_still_counts_in_the_badge(people: Any, make_user: Any) -> None:
    """After Bob's unmute the message "loud" reaches his client first in the refetch of his chat, and only then by
    its own event, a repeat by then: the badge counts it all the same (this order was a rare race under load)."""
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    make_user(username="bob", first_name="Bob", last_name="B")
    alice = people("alice").login()
    bob = people("bob")
    frames = HeldFrames(bob.page, "loud")
    bob.login()
    alice.start_private_chat("bob")
    alice.send("hello")
    bob.open_chat("Alice A")
    expect(bob.message("hello")).to_be_visible()
    expect(bob.chat_row("Alice A").get_by_label("1 unread message")).to_have_count(0)  # read, here too
    page = bob.page
    status = page.get_by_role("dialog", name="About this chat").locator(".notifications-state")
    page.get_by_role("button", name="About this chat").click()
    page.get_by_role("button", name="Mute forever").click()
    expect(status).to_have_text("Muted")

    # The unmute's event has the chat and the badge refetched: the badge answers (before "loud"), the chat is held.
    held: list[Any] = []

    def hold_the_chat(route: Any) -> None:
        if route.request.method == "GET" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/api/chat/[0-9a-f-]+/$"), hold_the_chat)
    with page.expect_response(re.compile(r"/api/chats/unread/$")) as badge:
        page.get_by_role("button", name="Unmute").click()
        expect(status).to_have_text("On")
    assert badge.value.json() == {"unread_messages": 0, "unread_chats": 0}
    wait_for(page, lambda: bool(held), "request for the chat")
    page.get_by_role("button", name="Close").click()
    page.get_by_role("link", name="Chats").click()
    expect(page).to_have_title("Chats · Messenger")

    frames.holding = True
    message_create(sender=alice_user, chat_id=Message.objects.get(text="hello").chat_id, text="loud")
    frames.wait_held(page)
    # The chat's answer first (it carries "loud": unread 1), then the message's event.
    held[0].continue_()
    expect(bob.chat_row("Alice A")).to_contain_text("loud")
    expect(bob.chat_row("Alice A").get_by_label("1 unread message")).to_be_visible()
    frames.release()
    expect(page).to_have_title("(1) Chats · Messenger")
    expect(page.get_by_role("navigation").get_by_label("1 chat with unread messages")).to_be_visible()


def test_images_are_laid_out_from_their_size_and_show_the_thumbnail(
    people: Any, make_user: Any, tmp_path: Path
) -> None:
    alice, bob = chatting(people, make_user)
    held: list[Any] = []
    bob.page.route(re.compile(r"/media/.*\.(png|jpe?g|webp)"), lambda route: held.append(route))

    alice.page.get_by_label("Attach files").set_input_files(str(picture(tmp_path / "wide.png", "green", (1200, 600))))
    alice.composer.fill("wide")
    alice.composer.press("Enter")
    image = bob.message("wide").get_by_role("img", name="Image")
    expect(image).to_be_attached()
    # Not loaded yet (held back), and already as wide as the image's ratio makes it at 180 px high.
    bob.page.wait_for_timeout(300)
    assert image.evaluate("img => img.complete && img.naturalWidth") in (0, False)
    box = image.bounding_box()
    assert box and (box["width"], box["height"]) == (360, 180), box
    for route in held:
        route.continue_()
    expect(image).to_have_js_property("complete", True)
    # The preview, not the original: 320 px wide.
    assert image.evaluate("img => img.naturalWidth") == 320
    original = bob.message("wide").get_by_role("link").first.get_attribute("href")
    assert image.get_attribute("src") != original


def test_mentions_of_me_are_marked_and_counted(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    carol_user = make_user(username="carol", first_name="Carol", last_name="C")
    chat_create(creator=alice_user, members=[bob_user.pk, carol_user.pk], title="Team")
    alice, bob = people("alice").login(), people("bob").login()
    alice.open_chat("Team")

    alice.send("@Bob, the report? @carol knows")
    alice.send("thanks, bob@example.com")  # an address, not a mention
    badge = bob.chat_row("Team").get_by_label("1 unread mention of you")
    expect(badge).to_have_text("@")
    expect(bob.chat_row("Team").get_by_label("2 unread messages")).to_be_visible()

    bob.open_chat("Team")
    expect(bob.message("@Bob, the report? @carol knows").locator("mark")).to_have_text(["@Bob"])
    expect(bob.message("thanks, bob@example.com").locator("mark")).to_have_count(0)
    expect(badge).to_have_count(0)  # read


def test_an_at_sign_suggests_the_chat_members(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    carol_user = make_user(username="carol", first_name="Carol", last_name="Bobrova")
    make_user(username="bobby", first_name="Outsider", last_name="O")  # not a member: never suggested
    chat_create(creator=alice_user, members=[bob_user.pk, carol_user.pk], title="Team")
    alice, bob = people("alice").login(), people("bob").login()
    alice.open_chat("Team")
    choices = alice.page.get_by_role("listbox", name="Mention a member")
    composer = alice.composer

    composer.press_sequentially("thanks @bo")
    # Usernames first, then names; the first is chosen.
    expect(choices.get_by_role("option")).to_have_text(["Bob B @bob", "Carol Bobrova @carol"])
    expect(choices.get_by_role("option", selected=True)).to_have_text("Bob B @bob")
    composer.press("ArrowDown")
    expect(choices.get_by_role("option", selected=True)).to_have_text("Carol Bobrova @carol")
    composer.press("Enter")  # picks; nothing is sent
    expect(choices).to_have_count(0)
    expect(composer).to_have_value("thanks @carol ")
    expect(alice.log.locator("li.message")).to_have_count(0)

    composer.press_sequentially("and @")
    expect(choices.get_by_role("option")).to_have_count(2)  # everyone but me
    composer.press("Escape")
    expect(choices).to_have_count(0)
    composer.press_sequentially("B")
    choices.get_by_role("option", name="Bob B @bob").click()
    expect(composer).to_have_value("thanks @carol and @bob ")
    composer.press_sequentially("see you")
    composer.press("Enter")

    bob.open_chat("Team")
    expect(bob.message("thanks @carol and @bob see you").locator("mark")).to_have_text(["@bob"])


def test_mentions_of_me_are_listed_and_open_their_chat(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    carol_user = make_user(username="carol", first_name="Carol", last_name="C")
    team = chat_create(creator=alice_user, members=[bob_user.pk, carol_user.pk], title="Team").chat
    trip = chat_create(creator=carol_user, members=[bob_user.pk], title="Trip").chat
    message_create(sender=alice_user, chat_id=team.pk, text="@bob the first one")
    for n in range(20):
        message_create(sender=carol_user, chat_id=trip.pk, text=f"@bob tickets {n}")
    message_create(sender=carol_user, chat_id=trip.pk, text="no mention here")
    bob = people("bob").login()
    page = bob.page
    toggle = page.get_by_role("button", name="Mentions of me")
    mentions = page.get_by_role("region", name="Mentions of me")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("list", name="Chats")).to_be_hidden()
    hits = mentions.get_by_role("button").filter(has_text="@bob")
    expect(hits).to_have_count(20)  # a page, newest first
    expect(hits.first).to_contain_text("Trip")
    expect(hits.first).to_contain_text("Carol C: @bob tickets 19")
    expect(hits.first.locator("mark")).to_have_text("@bob")
    mentions.get_by_role("button", name="Show more").click()
    expect(hits).to_have_count(21)
    expect(mentions.get_by_role("button", name="Show more")).to_have_count(0)

    hits.last.click()  # the oldest: in another chat
    expect(page.get_by_role("heading", level=1, name="Team")).to_be_visible()
    expect(bob.message("@bob the first one")).to_be_visible()
    toggle.click()
    expect(mentions).to_have_count(0)
    expect(bob.chat_row("Trip")).to_be_visible()


def test_global_search_finds_a_message_and_opens_the_chat_at_it(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    chat = chat_create(creator=alice_user, members=[bob_user.pk], title="Kitchen").chat
    seed_history(str(chat.pk), [alice_user, bob_user], 300)
    Message.objects.filter(chat=chat, seq=20).update(text="the secret pancake recipe")
    alice = people("alice").login()

    alice.page.get_by_label("Search chats").fill("pancakes")
    hits = alice.page.get_by_role("region", name="Messages")
    hit = hits.get_by_role("button").filter(has_text="Kitchen")
    expect(hit.locator("mark")).to_have_text("pancake")
    hit.click()
    expect(alice.page.get_by_role("heading", level=1, name="Kitchen")).to_be_visible()
    # Far before the newest page: a window around it.
    expect(alice.message("the secret pancake recipe")).to_be_in_viewport()
    expect(alice.message("message 300")).to_have_count(0)


def test_the_message_search_filters_by_chat_and_files_and_sorts_by_time(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    kitchen = chat_create(creator=alice_user, members=[bob_user.pk], title="Kitchen").chat
    garage = chat_create(creator=alice_user, members=[bob_user.pk], title="Garage").chat
    message_create(sender=bob_user, chat_id=kitchen.pk, text="report, final report, the report")
    numbers = SimpleUploadedFile("numbers.txt", b"1 2 3", content_type="text/plain")
    message_create(sender=bob_user, chat_id=garage.pk, text="a report with numbers", files=[numbers])
    message_create(sender=bob_user, chat_id=kitchen.pk, text="one more report")
    alice = people("alice").login()
    alice.open_chat("Kitchen")
    page = alice.page
    page.get_by_label("Search chats").fill("report")
    region = page.get_by_role("region", name="Messages")
    snippets = region.locator("button.hit .chat-preview")
    filters = region.get_by_role("group", name="Search filters")

    expect(snippets).to_have_count(3)
    expect(snippets.first).to_have_text("report, final report, the report")  # the best match first
    filters.get_by_role("button", name="Newest first").click()
    expect(snippets).to_have_text(["one more report", "a report with numbers", "report, final report, the report"])
    filters.get_by_role("button", name="In this chat").click()
    expect(snippets).to_have_text(["one more report", "report, final report, the report"])
    filters.get_by_role("button", name="With files").click()  # none in this chat: the filters stay to undo it
    expect(snippets).to_have_count(0)
    expect(page.get_by_text("Nothing found.")).to_be_visible()
    filters.get_by_role("button", name="In this chat").click()
    expect(snippets).to_have_text(["a report with numbers"])
    expect(region.locator("button.hit").first).to_contain_text("Garage")


def test_the_message_search_shows_more_and_filters_by_sender_and_time(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    chat = chat_create(creator=alice_user, members=[bob_user.pk], title="Kitchen").chat
    seed_history(str(chat.pk), [alice_user, bob_user], 45)  # alice sent the even ones: 22
    Message.objects.filter(chat=chat, seq=2).update(
        text="a message from long ago", created_at=timezone.now() - timedelta(days=30)
    )
    alice = people("alice").login()
    page = alice.page
    page.get_by_label("Search chats").fill("message")
    region = page.get_by_role("region", name="Messages")
    hits = region.locator("button.hit")
    more = region.get_by_role("button", name="Show more")
    filters = region.get_by_role("group", name="Search filters")

    def shown_in_pages(*counts: int) -> None:
        for count in counts:
            if count != counts[0]:
                more.click()
            expect(hits).to_have_count(count)
        expect(more).to_have_count(0)

    shown_in_pages(20, 40, 45)
    filters.get_by_role("button", name="From me").click()
    shown_in_pages(20, 22)
    expect(hits.filter(has_text="long ago")).to_have_count(1)
    filters.get_by_label("When sent").select_option(label="Past week")
    shown_in_pages(20, 21)
    expect(hits.filter(has_text="long ago")).to_have_count(0)


def test_a_message_is_forwarded_to_another_chat(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    carol_user = make_user(username="carol", first_name="Carol", last_name="C")
    with_bob = chat_create(creator=alice_user, members=[bob_user.pk], is_private=True).chat
    chat_create(creator=alice_user, members=[carol_user.pk], is_private=True)
    message_create(sender=bob_user, chat_id=with_bob.pk, text="the meeting is at 5")
    alice, carol = people("alice").login(), people("carol").login()
    carol.open_chat("Alice A")

    alice.open_chat("Bob B")
    alice.message_action("the meeting is at 5", "Forward")
    dialog = alice.page.get_by_role("dialog", name="Forward to…")
    dialog.get_by_label("Search chats").fill("carol")
    expect(dialog.get_by_role("button", name="Forward to Bob B")).to_have_count(0)
    dialog.get_by_role("button", name="Forward to Carol C").click()
    expect(alice.page.get_by_role("heading", level=1, name="Carol C")).to_be_visible()
    for person in (alice, carol):
        expect(person.message("the meeting is at 5").locator(".forwarded")).to_have_text("Forwarded from Bob B")


def test_several_messages_are_selected_and_forwarded_in_order(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    carol_user = make_user(username="carol", first_name="Carol", last_name="C")
    plans = chat_create(creator=alice_user, members=[bob_user.pk], title="Plans").chat
    chat_create(creator=alice_user, members=[carol_user.pk], title="Archive")
    for text in ("one", "two", "three"):
        message_create(sender=bob_user, chat_id=plans.pk, text=text)
    alice, carol = people("alice").login(), people("carol").login()
    carol.open_chat("Archive")
    alice.open_chat("Plans")
    page = alice.page
    toolbar = page.get_by_role("toolbar", name="Selected messages")
    check = lambda text: alice.message(text).get_by_role("checkbox", name="Select this message")  # noqa: E731

    alice.message("two").hover()
    alice.message("two").get_by_role("button", name="Message actions").click()
    expect(page.get_by_role("menu", name="Message actions")).to_be_in_viewport(ratio=1)  # not cut off by the log
    page.keyboard.press("Escape")
    alice.message_action("two", "Select")
    expect(toolbar).to_contain_text("1 message selected")
    expect(check("two")).to_be_checked()
    expect(alice.composer).to_be_hidden()
    check("three").check()
    check("one").check()
    check("three").uncheck()
    expect(toolbar).to_contain_text("2 messages selected")
    toolbar.get_by_role("button", name="Forward").click()
    page.get_by_role("dialog", name="Forward to…").get_by_role("button", name="Forward to Archive").click()

    expect(page.get_by_role("heading", level=1, name="Archive")).to_be_visible()
    for person in (alice, carol):
        expect(person.log.locator("li.message p.text")).to_have_text(["one", "two"])  # oldest first
        expect(person.message("one").locator(".forwarded")).to_have_text("Forwarded from Bob B")
    alice.open_chat("Plans")
    expect(alice.log.get_by_role("checkbox")).to_have_count(0)  # done selecting

    # Escape, or Cancel, ends a selection without forwarding.
    alice.message_action("one", "Select")
    expect(toolbar).to_be_visible()
    page.keyboard.press("Escape")
    expect(toolbar).to_have_count(0)
    alice.composer.fill("a draft")
    alice.message_action("one", "Select")
    toolbar.get_by_role("button", name="Cancel").click()
    expect(alice.log.get_by_role("checkbox")).to_have_count(0)
    expect(alice.composer).to_have_value("a draft")  # kept while selecting

    # A selected message its sender deletes meanwhile leaves the selection; the rest is forwarded.
    alice.message_action("one", "Select")
    check("three").check()
    expect(toolbar).to_contain_text("2 messages selected")
    message_delete(actor=bob_user, message_id=Message.objects.get(chat=plans, text="three").pk)
    expect(alice.message("three")).to_have_count(0)
    expect(toolbar).to_contain_text("1 message selected")
    toolbar.get_by_role("button", name="Forward").click()
    page.get_by_role("dialog", name="Forward to…").get_by_role("button", name="Forward to Archive").click()
    expect(carol.log.locator("li.message p.text")).to_have_text(["one", "two", "one"])
