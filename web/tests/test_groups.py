"""Groups in the browser: create one with a title, an avatar and members; rename it, change its avatar, add and
remove members, leave, delete — and the other members' lists follow live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from chats.models import Chat
from web.tests.test_conversation import picture


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
