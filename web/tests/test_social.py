"""The profile, the posts feed with likes, and friends, in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from posts.models import Post
from users.models import User
from web.tests.test_conversation import picture


def test_profile_edit(people: Any, make_user: Any, tmp_path: Path) -> None:
    make_user(username="alice", first_name="Alice", last_name="A")
    make_user(username="bob", first_name="Bob", last_name="B")
    alice, bob = people("alice").login(), people("bob").login()
    bob.start_private_chat("alice")
    bob.send("hi")

    page = alice.page
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("First name").fill("Alicia")
    page.get_by_label("About you").fill("Down the rabbit hole")
    page.get_by_label("Status").fill("reading")
    page.get_by_label("Change the avatar").set_input_files(str(picture(tmp_path / "me.png", "teal")))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    user = User.objects.get(username="alice")
    assert (user.first_name, user.bio, user.status) == ("Alicia", "Down the rabbit hole", "reading")
    assert user.avatar
    page.reload()
    expect(page.get_by_label("First name")).to_have_value("Alicia")
    page.get_by_role("button", name="Remove the avatar").click()
    expect(page.get_by_role("button", name="Remove the avatar")).to_have_count(0)
    assert not User.objects.get(username="alice").avatar

    # Bob sees the new name on his next look at the chat.
    bob.page.reload()
    expect(bob.page.get_by_role("heading", level=1, name="Alicia A")).to_be_visible()


def test_feed_likes_and_friends(people: Any, make_user: Any, tmp_path: Path) -> None:
    make_user(username="alice", first_name="Alice", last_name="A")
    make_user(username="bob", first_name="Bob", last_name="B")
    alice, bob = people("alice").login(), people("bob").login()

    alice.page.get_by_role("link", name="Feed").click()
    form = alice.page.get_by_role("form", name="New post")
    form.get_by_label("What's new?").fill("A sunny day")
    form.get_by_text("Add images").locator("input").set_input_files(str(picture(tmp_path / "sun.png", "yellow")))
    form.get_by_role("button", name="Publish").click()
    post = alice.page.get_by_role("article", name="Alice A")
    expect(post).to_contain_text("A sunny day")
    expect(post.get_by_role("img", name="Image")).to_be_visible()

    bob.page.get_by_role("link", name="Feed").click()
    theirs = bob.page.get_by_role("article", name="Alice A")
    theirs.get_by_role("button", name="Like").click()
    expect(theirs.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    expect(theirs).to_contain_text("1 like")
    expect(post).to_contain_text("1 like")  # Alice's feed follows live
    assert Post.objects.get().likes_count == 1
    theirs.get_by_role("button", name="Like").click()
    expect(theirs).to_contain_text("0 likes")

    # Friends: Bob asks, Alice sees the badge live and accepts, both lists show it.
    bob.page.get_by_role("link", name="Friends").click()
    bob.page.get_by_label("Find people").fill("alice")
    bob.page.get_by_role("button", name="Add Alice A as a friend").click()
    expect(bob.page.get_by_role("heading", name="Sent requests")).to_be_visible()
    expect(alice.page.get_by_role("link", name="Friends").get_by_label("1 friend request")).to_be_visible()
    alice.page.get_by_role("link", name="Friends").click()
    alice.page.get_by_role("button", name="Accept").click()
    friends = alice.page.get_by_role("region", name="My friends")
    expect(friends).to_contain_text("Bob B")
    expect(bob.page.get_by_role("region", name="My friends")).to_contain_text("Alice A")

    # The friends-only feed is Alice's post for Bob.
    bob.page.get_by_role("link", name="Feed").click()
    bob.page.get_by_label("Friends only").check()
    expect(bob.page.get_by_role("article")).to_have_count(1)
