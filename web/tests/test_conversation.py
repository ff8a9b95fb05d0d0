"""Two people in two browsers: register, find each other, talk live both ways with images, voice notes, replies,
edits, deletions and read ticks — the messenger's main path, end to end through nginx, Django and Centrifugo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from messages.models import Message
from users.models import User


def picture(path: Path, color: str, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def test_two_people_talk_live(people: Any, tmp_path: Path) -> None:
    alice = people("alice").register(first_name="Alice", last_name="Liddell", avatar=picture(tmp_path / "a.png", "red"))
    bob = people("bob").register(first_name="Bob", last_name="Builder")
    alice.wait_connected()
    bob.wait_connected()
    assert User.objects.get(username="alice").avatar

    # Alice finds Bob and writes; the chat appears in Bob's list live, with an unread badge.
    alice.start_private_chat("bob")
    alice.send("Hello Bob!")
    row = bob.chat_row("Alice Liddell")
    expect(row).to_contain_text("Hello Bob!")
    expect(row.get_by_label("1 unread message")).to_be_visible()

    # Bob opens it: the message is read as it becomes visible, and Alice's tick turns to "read".
    tick = alice.message("Hello Bob!").get_by_role("img", name="Read")
    bob.open_chat("Alice Liddell")
    expect(bob.message("Hello Bob!")).to_be_visible()
    expect(tick).to_be_visible()
    expect(row.get_by_label("1 unread message")).to_have_count(0)

    # Both ways, live.
    bob.send("Hi Alice, how are you?")
    expect(alice.message("Hi Alice, how are you?")).to_be_visible()
    alice.send("Fine, thanks")
    expect(bob.message("Fine, thanks")).to_be_visible()
    expect(alice.message("Fine, thanks").get_by_role("img", name="Read")).to_be_visible()

    # A reply quotes the original.
    bob.message_action("Fine, thanks", "Reply")
    bob.send("Glad to hear")
    expect(alice.message("Glad to hear").locator(".quote")).to_contain_text("Fine, thanks")

    # An image through the file picker.
    alice.page.get_by_label("Attach files").set_input_files(str(picture(tmp_path / "photo.png", "blue")))
    expect(alice.page.get_by_role("list", name="Attachments")).to_contain_text("photo.png")
    alice.composer.fill("A photo")
    alice.composer.press("Enter")
    image = bob.message("A photo").get_by_role("img", name="Image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 64

    # A voice note from Chromium's fake microphone.
    bob.page.get_by_role("button", name="Record a voice message").click()
    expect(bob.page.get_by_role("timer")).to_have_text("0:01")
    bob.page.get_by_role("button", name="Stop and send the voice message").click()
    voice = alice.log.locator("audio.voice")
    expect(voice).to_have_count(1)
    expect(bob.log.locator("audio.voice")).to_have_count(1)
    src = voice.get_attribute("src")
    assert src and src.startswith(alice.base + "/media/")
    # The recording plays: the browser reads its metadata (nginx calls .webm video/webm; <audio> plays it).
    assert voice.evaluate(
        """audio => audio.readyState >= 1 || new Promise((resolve, reject) => {
            audio.addEventListener("loadedmetadata", () => resolve(true));
            audio.addEventListener("error", () => reject(audio.error));
            audio.load();
        })"""
    )

    # Bob edits his message; Alice sees the new text, marked as edited.
    bob.message_action("Hi Alice, how are you?", "Edit")
    bob.composer.fill("Hi Alice! How are you?")
    bob.composer.press("Enter")
    edited = alice.message("Hi Alice! How are you?")
    expect(edited).to_be_visible()
    expect(edited.get_by_text("edited")).to_be_visible()
    expect(alice.message("Hi Alice, how are you?")).to_have_count(0)

    # Alice deletes hers; it disappears on both sides.
    alice.message_action("Fine, thanks", "Delete")
    alice.page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(alice.message("Fine, thanks")).to_have_count(0)
    expect(bob.message("Fine, thanks")).to_have_count(0)
    # The reply to it no longer quotes it.
    expect(bob.message("Glad to hear").locator(".quote")).to_have_count(0)
    expect(alice.message("Glad to hear").locator(".quote")).to_have_count(0)

    # What both see is what the API holds, once each, in order.
    assert Message.objects.count() == 5
    expected = ["Hello Bob!", "Hi Alice! How are you?", "Glad to hear", "A photo"]
    assert alice.texts() == expected
    assert bob.texts() == expected


def test_drag_and_drop_and_paste_attach_files(people: Any, make_user: Any, tmp_path: Path) -> None:
    make_user(username="carol", first_name="Carol", last_name="C")
    dave = people("dave").register(first_name="Dave")
    dave.start_private_chat("carol")
    page = dave.page
    png = picture(tmp_path / "drop.png", "green").read_bytes()
    transfer = page.evaluate_handle(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"}));
            transfer.items.add(new File(["minutes of the meeting"], "notes.txt", {type: "text/plain"}));
            return transfer;
        }""",
        list(png),
    )
    chat = page.locator("section.chat")
    chat.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(page.get_by_text("Drop files to attach them")).to_be_visible()
    chat.dispatch_event("drop", {"dataTransfer": transfer})
    attachments = page.get_by_role("list", name="Attachments")
    expect(attachments).to_contain_text("dropped.png")
    expect(attachments).to_contain_text("notes.txt")

    page.evaluate(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "pasted.png", {type: "image/png"}));
            const event = new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true});
            document.querySelector("textarea.composer-input").dispatchEvent(event);
        }""",
        list(png),
    )
    expect(attachments).to_contain_text("pasted.png")
    dave.page.get_by_role("button", name="Send").click()
    expect(dave.log.get_by_role("img", name="Image")).to_have_count(2)
    expect(dave.page.locator("[data-pending]")).to_have_count(0)
    # Any other file is a download link, named and saved as it was sent (its stored name is unguessable).
    notes = dave.log.get_by_role("link", name="notes.txt")
    expect(notes).to_be_visible()
    expect(notes).to_have_attribute("download", "notes.txt")
    assert dave.page.request.get(notes.get_attribute("href") or "").text() == "minutes of the meeting"


def test_a_voice_note_shows_its_length_before_it_plays(people: Any, make_user: Any) -> None:
    make_user(username="alice", first_name="Alice", last_name="A")
    bob = people("bob").register(first_name="Bob")
    bob.start_private_chat("alice")
    bob.page.get_by_role("button", name="Record a voice message").click()
    expect(bob.page.get_by_role("timer")).to_have_text("0:02")
    bob.page.get_by_role("button", name="Stop and send the voice message").click()
    alice = people("alice").login()
    alice.open_chat("Bob")
    voice = alice.log.locator("audio.voice")
    expect(voice).to_have_count(1)
    # Chromium records WebM without a duration (Infinity): the player showed 0:00 and could not seek.
    alice.page.wait_for_function(
        "audio => Number.isFinite(audio.duration) && audio.currentTime === 0", arg=voice.element_handle()
    )
    duration = voice.evaluate("audio => audio.duration")
    assert 1.5 < duration < 10, duration
    assert voice.evaluate("audio => audio.paused")
