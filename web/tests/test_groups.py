"""Groups in the browser: create one with a title, an avatar and members; rename it, change its avatar, add and
remove members, leave, delete — and the other members' lists follow live."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import APIResponse, Page, Route, expect

from centrifugo.tests.stack import Api
from chats.models import Chat
from chats.services import chat_create, chat_update
from web.tests.test_conversation import picture

T = TypeVar("T")


def test_a_group_from_creation_to_deletion(people: Any, make_user: Any, tmp_path: Path) -> None:
    for name in ("alice", "bob", "carol"):
        make_user(username=name, first_name=name.capitalize(), last_name="X")
    alice, bob = people("alice").login(), people("bob").login()
    page = alice.page

    page.get_by_role("button", name="New chat").click()
    dialog = page.get_by_role("dialog", name="New chat")
    dialog.get_by_role("tab", name="Group").click()
    dialog.get_by_label("Choose an avatar").set_input_files(str(picture(tmp_path / "group.png", "orange")))
    dialog.get_by_label("Group title").fill("Book club")
    for name in ("bob", "carol"):
        dialog.get_by_label("Add members").fill(name)
        dialog.get_by_role("button", name=f"Add {name.capitalize()} X").click()
    expect(dialog.get_by_role("list", name="Members")).to_contain_text("Carol X")
    dialog.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", level=1, name="Book club")).to_be_visible()
    expect(page.get_by_text("3 members")).to_be_visible()
    assert Chat.objects.get(title="Book club").avatar

    # Bob's list shows it live; he writes, Alice sees his name on the message.
    bob.open_chat("Book club")
    bob.send("Hi all")
    expect(alice.message("Hi all").locator(".sender")).to_have_text("Bob X")

    # Renamed, with a new avatar: live in Bob's list and header.
    page.get_by_role("button", name="Group settings").click()
    settings = page.get_by_role("dialog", name="Group settings")
    settings.get_by_label("Group title").fill("Readers")
    settings.get_by_label("Change the avatar").set_input_files(str(picture(tmp_path / "new.png", "purple")))
    settings.get_by_role("button", name="Save").click()
    expect(settings.get_by_role("status")).to_have_text("Saved.")
    expect(bob.page.get_by_role("heading", level=1, name="Readers")).to_be_visible()
    expect(bob.chat_row("Readers")).to_be_visible()

    # Carol removed, then added back.
    settings.get_by_role("button", name="Remove Carol X").click()
    expect(settings.get_by_role("heading", name="2 members")).to_be_visible()
    settings.get_by_label("Add members").fill("carol")
    settings.get_by_role("button", name="Add Carol X").click()
    expect(settings.get_by_role("heading", name="3 members")).to_be_visible()
    settings.get_by_role("button", name="Close").click()

    # Bob leaves: the group leaves his list, and Alice sees two members.
    bob.page.get_by_role("button", name="Group settings").click()
    bob.page.get_by_role("button", name="Leave the group").click()
    bob.page.get_by_role("dialog", name="Leave the group?").get_by_role("button", name="Leave").click()
    expect(bob.chat_row("Readers")).to_have_count(0)
    expect(bob.page).to_have_url(f"{bob.base}/")
    expect(page.get_by_text("2 members")).to_be_visible()

    # Alice deletes it.
    page.get_by_role("button", name="Group settings").click()
    page.get_by_role("button", name="Delete the group").click()
    page.get_by_role("dialog", name="Delete the group?").get_by_role("button", name="Delete").click()
    expect(alice.chat_row("Readers")).to_have_count(0)
    assert not Chat.objects.filter(title="Readers").exists()


def test_a_private_chat_is_deleted_for_both(people: Any, make_user: Any) -> None:
    make_user(username="alice", first_name="Alice", last_name="X")
    make_user(username="bob", first_name="Bob", last_name="X")
    alice, bob = people("alice").login(), people("bob").login()
    alice.start_private_chat("bob")
    alice.send("soon gone")
    expect(bob.chat_row("Alice X")).to_be_visible()
    alice.page.get_by_role("button", name="About this chat").click()
    dialog = alice.page.get_by_role("dialog", name="About this chat")
    expect(dialog.get_by_role("heading", name="Bob X")).to_be_visible()
    dialog.get_by_role("button", name="Delete the chat").click()
    alice.page.get_by_role("dialog", name="Delete the chat?").get_by_role("button", name="Delete").click()
    expect(alice.chat_row("Bob X")).to_have_count(0)
    expect(bob.chat_row("Alice X")).to_have_count(0)


def hold_answers(page: Page, url: str) -> list[tuple[Route, APIResponse]]:
    """Answer `page`'s GETs of `url` (a glob) as the server had them when asked, but only when the test says so."""
    held: list[tuple[Route, APIResponse]] = []

    def hold(route: Route) -> None:
        if route.request.method != "GET" or held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route(url, hold)
    return held


def wait_held(page: Page, held: list[T]) -> T:
    for _ in range(300):  # Playwright runs the route handler while the test waits on the page
        if held:
            return held[0]
        page.wait_for_timeout(50)
    raise AssertionError("the page should have asked")


def leave(person: Any) -> None:
    person.page.get_by_role("button", name="Group settings").click()
    person.page.get_by_role("button", name="Leave the group").click()
    person.page.get_by_role("dialog", name="Leave the group?").get_by_role("button", name="Leave").click()


def test_a_chat_answer_that_predates_a_leave_does_not_bring_the_chat_back(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="X")
    bob_user = make_user(username="bob", first_name="Bob", last_name="X")
    chat = chat_create(creator=alice_user, members=[bob_user.pk], title="Book club").chat
    bob = people("bob").login()
    bob.open_chat("Book club")

    # Alice renames it: Bob's client asks for the chat, and the answer (with Bob still in) is on its way...
    held = hold_answers(bob.page, f"**/api/chat/{chat.pk}/")
    chat_update(actor=alice_user, chat_id=chat.pk, title="Readers")
    route, answer = wait_held(bob.page, held)
    assert answer.status == 200
    # ... while Bob leaves.
    leave(bob)
    expect(bob.chat_row("Book club")).to_have_count(0)
    expect(bob.page).to_have_url(f"{bob.base}/")

    with bob.page.expect_response(lambda response: response.request is route.request):
        route.fulfill(response=answer)
    bob.page.wait_for_timeout(500)  # what the answer would do is done in this time (the row came back at once)
    expect(bob.chat_row("Readers")).to_have_count(0)
    expect(bob.chat_row("Book club")).to_have_count(0)


def test_a_chat_list_that_predates_a_leave_does_not_bring_the_chat_back(people: Any, make_user: Any) -> None:
    alice_user = make_user(username="alice", first_name="Alice", last_name="X")
    bob_user = make_user(username="bob", first_name="Bob", last_name="X")
    chat = chat_create(creator=alice_user, members=[bob_user.pk], title="Book club").chat
    bob = people("bob")
    # Bob's chat list is on its way (with the group in it) while he opens the group by its address and leaves.
    held = hold_answers(bob.page, "**/api/chats/?*")
    bob.login()
    wait_held(bob.page, held)
    # In the app, not a page load (that would start it again without the list on its way).
    bob.page.evaluate(
        "path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }",
        f"/chat/{chat.pk}",
    )
    expect(bob.page.get_by_role("heading", level=1, name="Book club")).to_be_visible()
    leave(bob)
    expect(bob.page).to_have_url(f"{bob.base}/")

    route, answer = held[0]
    with bob.page.expect_response(lambda response: response.request is route.request):
        route.fulfill(response=answer)
    bob.page.wait_for_timeout(500)  # what the answer would do is done in this time (the row came back at once)
    expect(bob.chat_row("Book club")).to_have_count(0)


def test_an_open_chat_that_goes_says_why(people: Any, make_user: Any, messenger: Any) -> None:
    alice = make_user(username="alice", first_name="Alice", last_name="X")
    bob_user = make_user(username="bob", first_name="Bob", last_name="X")
    carol_user = make_user(username="carol", first_name="Carol", last_name="X")
    api = Api(messenger.url, alice)
    group = api.create_chat(bob_user, carol_user, title="Book club")
    private = api.call("POST", "/api/chats/", 201, json={"is_private": True, "members": [str(bob_user.id)]})["id"]
    api.send(private, "hi Bob")
    bob, carol = people("bob").login(), people("carol").login()
    bob.open_chat("Book club")
    carol.open_chat("Book club")

    # Alice removes Carol: Carol's open group says so (it stayed at "Loading…"), Bob's goes on.
    api.call("DELETE", f"/api/chat/{group}/members/{carol_user.id}/", 204)
    expect(carol.chat_row("Book club")).to_have_count(0)
    expect(carol.page.get_by_text("You are no longer a member of this chat.")).to_be_visible()
    expect(bob.page.get_by_text("2 members")).to_be_visible()

    # Alice deletes the group, then the private chat, each while Bob has it open.
    api.call("DELETE", f"/api/chat/{group}/", 204)
    expect(bob.chat_row("Book club")).to_have_count(0)
    expect(bob.page.get_by_text("This chat was deleted.")).to_be_visible()
    bob.open_chat("Alice X")
    expect(bob.message("hi Bob")).to_be_visible()
    api.call("DELETE", f"/api/chat/{private}/", 204)
    expect(bob.page.get_by_text("This chat was deleted.")).to_be_visible()
    expect(bob.page.get_by_text("Loading…")).to_have_count(0)
    bob.page.get_by_role("link", name="Back to chats").click()
    expect(bob.page).to_have_url(f"{bob.base}/")
    expect(bob.page.get_by_text("Choose a chat or start a new one.")).to_be_visible()


def test_nothing_is_asked_about_a_group_once_i_leave_it(people: Any, make_user: Any, messenger: Any) -> None:
    alice = make_user(username="alice", first_name="Alice", last_name="X")
    bob_user = make_user(username="bob", first_name="Bob", last_name="X")
    as_alice = Api(messenger.url, alice)
    group = as_alice.create_chat(bob_user, title="Book club")
    as_alice.send(group, "welcome")
    bob = people("bob").login()
    bob.open_chat("Book club")
    expect(bob.message("welcome")).to_be_visible()
    expect(bob.chat_row("Book club").get_by_label(re.compile("unread"))).to_have_count(0)

    # Bob leaves; his request is slow to reach the server, and a message of Alice's arrives meanwhile.
    asked: list[str] = []
    bob.page.on("request", lambda request: asked.append(f"{request.method} {request.url}"))
    held: list[Route] = []
    bob.page.route(f"**/api/chat/{group}/leave/", lambda route: held.append(route))
    leave(bob)
    wait_held(bob.page, held)
    as_alice.send(group, "are you still there?")
    expect(bob.message("are you still there?")).to_be_visible()
    bob.page.wait_for_timeout(1000)  # a read mark is due 150 ms after the message shows: it would be asked by now
    held[0].continue_()
    expect(bob.page).to_have_url(f"{bob.base}/")
    after_leave = asked[asked.index(f"POST {bob.base}/api/chat/{group}/leave/") + 1 :]
    assert not [request for request in after_leave if "/read/" in request or group in request], after_leave
