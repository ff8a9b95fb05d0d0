"""English and Russian: every UI text has its Russian translation; the language chosen before registering is
saved in the profile (so the API answers in it too), and changing it in the profile changes both."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from playwright.sync_api import expect

from users.models import User

SOURCES = Path(settings.BASE_DIR) / "web" / "src"


def ui_texts() -> set[str]:
    texts = set()
    for path in [*SOURCES.rglob("*.ts"), *SOURCES.rglob("*.tsx")]:
        texts |= set(re.findall(r"""\bt\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]""", path.read_text(encoding="utf-8")))
    return texts


def russian_keys() -> set[str]:
    source = (SOURCES / "ru.ts").read_text(encoding="utf-8")
    return set(re.findall(r'^\s+"((?:[^"\\]|\\.)+)":', source, re.M)) | set(re.findall(r"^\s+(\w+):", source, re.M))


def test_every_text_has_a_russian_translation() -> None:
    texts = ui_texts()
    assert len(texts) > 100
    missing = sorted(texts - russian_keys())
    assert not missing, f"web/src/ru.ts lacks: {missing}"


def test_russian_from_registration_to_the_api_and_back(people: Any, make_user: Any, console_errors: Any) -> None:
    console_errors.allow(r"status of 400")
    make_user(username="taken")
    person = people("ivan")
    page = person.page
    page.goto(f"{person.base}/register")
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", name="Регистрация")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # An anonymous request asks for the UI's language (?lang=ru): the API's error comes back in Russian.
    page.get_by_label("Логин").fill("taken")
    page.get_by_label("Пароль").fill("correct-horse-battery-staple")
    page.get_by_label("Имя").fill("Иван")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("alert")).to_contain_text("уже")

    page.get_by_label("Логин").fill("ivan")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("link", name="Чаты")).to_be_visible()
    assert User.objects.get(username="ivan").language == "ru"

    # Another browser: the saved language wins over the browser's.
    other = people("ivan").login()
    expect(other.page.get_by_role("link", name="Лента")).to_be_visible()

    other.page.get_by_role("link", name="Профиль").click()
    with other.page.expect_response(lambda response: response.request.method == "PATCH") as saved:
        other.page.get_by_label("Язык").select_option("en")
    assert saved.value.ok
    expect(other.page.get_by_role("link", name="Feed")).to_be_visible()
    assert User.objects.get(username="ivan").language == "en"
