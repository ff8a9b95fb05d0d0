"""Screenshots of the main screens at desktop and 360-px phone width, for the README (docs/screenshots/).

`make screenshots` writes them there (WEB_SCREENSHOTS_DIR); in `make test` they go to a temporary folder, so the
screens are still rendered with demo data, checked for console errors and for their size."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from centrifugo.tests.stack import Api
from web.tests.conftest import DESKTOP, PHONE

PEOPLE = (("Alice", "Liddell"), ("Bob", "Builder"), ("Carol", "Danvers"), ("Dave", "Bowman"))


def landscape(path: Path, hills: str) -> bytes:
    """A small drawn landscape (sky, sun, hills) for the demo messages."""
    image = Image.new("RGB", (480, 320))
    draw = ImageDraw.Draw(image)
    for y in range(320):
        draw.line([(0, y), (480, y)], fill=(90 + y // 4, 150 + y // 6, 230))
    draw.ellipse((340, 40, 410, 110), fill="#ffd34d")
    draw.ellipse((-120, 200, 300, 520), fill=hills)
    draw.ellipse((180, 230, 640, 560), fill="#3f8f4a")
    image.save(path)
    return path.read_bytes()


def demo_data(messenger: Any, make_user: Any, tmp_path: Path) -> None:
    users = {first: make_user(username=first.lower(), first_name=first, last_name=last) for first, last in PEOPLE}
    api = {first: Api(messenger.url, user) for first, user in users.items()}
    members = [str(user.id) for first, user in users.items() if first != "Alice"]
    group = api["Alice"].call("POST", "/api/chats/", 201, json={"title": "Weekend trip", "members": members})
    for first, text in (("Bob", "Who is in for Saturday?"), ("Carol", "Me! I'll bring the tent."), ("Dave", "+1")):
        api[first].send(group["id"], text)
    chats = {}
    for first in ("Carol", "Bob"):
        body = {"is_private": True, "members": [str(users["Alice"].id)]}
        chats[first] = api[first].call("POST", "/api/chats/", 201, json=body)["id"]
    api["Carol"].send(chats["Carol"], "Did you see the photos?")
    for first, text in (
        ("Bob", "Hi Alice! Are we still on for tomorrow?"),
        ("Alice", "Yes, 10 am at the station."),
        ("Bob", "Great, see you there"),
    ):
        api[first].send(chats["Bob"], text)
    view = landscape(tmp_path / "view.png", "#5aae5f")
    api["Bob"].call(
        "POST",
        "/api/messages/",
        201,
        data={"chat": chats["Bob"], "text": "The view from here"},
        files={"files": ("view.png", view, "image/png")},
    )
    api["Carol"].call(
        "POST",
        "/api/posts/",
        201,
        data={"description": "Spring is here"},
        files={"images": ("p.png", view, "image/png")},
    )


def test_main_screens(people: Any, make_user: Any, messenger: Any, tmp_path: Path) -> None:
    out = Path(os.environ.get("WEB_SCREENSHOTS_DIR") or tmp_path / "shots")
    out.mkdir(parents=True, exist_ok=True)
    demo_data(messenger, make_user, tmp_path)
    written = []

    def shoot(page: Any, name: str) -> None:
        page.wait_for_function("() => [...document.images].every((image) => image.complete)")
        page.screenshot(path=out / name)
        written.append(out / name)

    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        person = people("alice", viewport=viewport)
        page = person.page
        page.goto(f"{person.base}/login")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        shoot(page, f"{label}-login.png")
        person.login()
        expect(page.get_by_role("list", name="Chats").get_by_role("link")).to_have_count(3)
        if label == "phone":
            shoot(page, f"{label}-chats.png")
        if label == "desktop":
            person.open_chat("Weekend trip")
            expect(person.message("+1")).to_be_visible()
            expect(person.chat_row("Weekend trip").locator(".badge")).to_have_count(0)
            shoot(page, f"{label}-group.png")
        person.open_chat("Bob Builder")
        expect(person.log.get_by_role("img", name="Image")).to_be_visible()
        expect(person.chat_row("Bob Builder").locator(".badge")).to_have_count(0)  # read as it became visible
        page.mouse.move(0, 0)
        shoot(page, f"{label}-chat.png")
        page.get_by_role("link", name="Feed").click()
        expect(page.get_by_role("article")).to_have_count(1)
        shoot(page, f"{label}-feed.png")

    assert len(written) == 8
    for path in written:
        with Image.open(path) as image:
            assert image.width == (PHONE if path.name.startswith("phone") else DESKTOP)["width"]
            assert len(image.convert("L").getcolors()) > 20, f"{path.name} looks blank"
