"""A 360-px phone and a keyboard alone: one pane at a time with a way back, nothing wider than the screen, labelled
controls, roles on the chat list and the message log, and a conversation driven by keys only."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from web.tests.conftest import PHONE


def no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_phone_layout(people: Any, make_user: Any) -> None:
    make_user(username="bob", first_name="Bob", last_name="B")
    person = people("alice", viewport=PHONE).register(first_name="Alice", last_name="A")
    page = person.page
    no_horizontal_scroll(page)
    person.start_private_chat("bob")
    # The chat takes the whole screen; the list is one tap back.
    expect(page.get_by_role("list", name="Chats")).to_be_hidden()
    person.send("hello from a phone")
    composer_box = person.composer.bounding_box()
    assert composer_box and composer_box["x"] + composer_box["width"] <= PHONE["width"]
    no_horizontal_scroll(page)
    page.get_by_role("link", name="Back to chats").click()
    expect(person.chat_row("Bob B")).to_contain_text("You: hello from a phone")
    expect(person.log).to_have_count(0)
    for section in ("Feed", "Friends", "Profile"):
        page.get_by_role("link", name=section).click()
        expect(page.get_by_role("heading", level=1, name=section)).to_be_visible()
        no_horizontal_scroll(page)


def test_keyboard_only(people: Any, make_user: Any) -> None:
    make_user(username="alice", first_name="Alice", last_name="A")
    make_user(username="bob", first_name="Bob", last_name="B")
    bob = people("bob").login()
    bob.start_private_chat("alice")
    bob.send("ping")

    person = people("alice")
    page, keys = person.page, person.page.keyboard
    page.goto(f"{person.base}/login")
    expect(page.get_by_label("Username or e-mail")).to_be_focused()
    keys.type("alice")
    keys.press("Tab")
    keys.type("correct-horse-battery-staple")
    keys.press("Enter")
    expect(person.chat_row("Bob B")).to_be_visible()

    # The first Tab on a page offers the skip link; the chat list is a labelled list of links.
    page.reload()
    row = person.chat_row("Bob B")
    expect(row).to_be_visible()
    keys.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    for _ in range(12):
        keys.press("Tab")
        if row.evaluate("node => node === document.activeElement"):
            break
    expect(row).to_be_focused()
    keys.press("Enter")
    expect(person.log).to_be_visible()

    # Write, then edit the message through its actions menu, all by keys.
    person.composer.focus()
    keys.type("pong")
    keys.press("Enter")
    expect(person.message("pong")).to_be_visible()
    expect(bob.message("pong")).to_be_visible()
    keys.press("Shift+Tab")
    expect(page.get_by_label("Attach files")).to_be_focused()
    keys.press("Shift+Tab")
    actions = person.message("pong").get_by_role("button", name="Message actions")
    expect(actions).to_be_focused()
    keys.press("Enter")
    expect(page.get_by_role("menuitem", name="Reply")).to_be_focused()
    keys.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Edit")).to_be_focused()
    keys.press("Enter")
    expect(person.composer).to_be_focused()
    keys.press("Control+a")
    keys.type("pong!")
    keys.press("Enter")
    expect(bob.message("pong!")).to_be_visible()

    # ArrowUp in the empty composer edits the last own message; Escape cancels.
    keys.press("ArrowUp")
    expect(page.get_by_text("Editing", exact=True)).to_be_visible()
    keys.press("Escape")
    expect(page.get_by_text("Editing", exact=True)).to_have_count(0)

    # Dialogs keep focus inside and close with Escape, giving it back.
    new_chat = page.get_by_role("button", name="New chat")
    new_chat.focus()
    keys.press("Enter")
    expect(page.get_by_label("Find people")).to_be_focused()
    keys.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(new_chat).to_be_focused()


def test_every_control_is_labelled(people: Any, make_user: Any) -> None:
    make_user(username="bob", first_name="Bob", last_name="B")
    person = people("alice").register(first_name="Alice", last_name="A")
    person.start_private_chat("bob")
    person.send("hello")
    for path in ("/", None, "/feed", "/friends", "/profile"):
        if path:
            person.page.goto(f"{person.base}{path}")
            expect(person.page.locator("#main")).to_be_visible()
        unlabelled = person.page.evaluate(
            """() => [...document.querySelectorAll("button, a[href], input, textarea, select")]
                .filter((node) => node.offsetParent !== null || node.type === "file")
                .filter((node) => {
                    const named = node.getAttribute("aria-label") || node.labels?.length || node.textContent.trim()
                        || node.getAttribute("aria-labelledby") || node.title;
                    return !named;
                })
                .map((node) => node.outerHTML.slice(0, 120))"""
        )
        assert not unlabelled, unlabelled
