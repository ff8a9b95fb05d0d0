# ruff: noqa: RUF001  (Russian text: Cyrillic letters that look like Latin ones are intended)
"""Russian translations: the catalog is complete, compiled and served.

- `locale/ru/LC_MESSAGES/django.po` has a Russian text for every entry (no empty, no fuzzy, placeholders kept,
  three plural forms) and the committed `django.mo` holds exactly that catalog (the runtime needs no gettext).
- Every literal passed to `_()`/`gettext()`/`gettext_lazy()`/`ngettext()`… in the project sources is in the
  catalog, so a new message without a translation fails here: run `make messages` and translate the new entries.
- The API answers in English unless the request opts in: `?lang=ru`, or the authenticated user's saved
  `language`. Accept-Language alone never switches an /api response.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from rest_framework.test import APIClient

from messages.models import Message
from users.models import User

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale" / "ru" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# What `make messages` skips (makemessages also skips every hidden directory).
IGNORED_DIRS = {"__pycache__", "node_modules", "media", "static", "run"}
IGNORED_PATHS = {ROOT / "bench" / "results"}

RUSSIAN_PLURAL = {1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 0, 22: 1, 25: 2, 101: 0, 111: 2, 112: 2}


# --- a tiny .po parser ------------------------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def parse_po(text: str) -> list[Entry]:
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None

    def start(lineno: int) -> Entry:
        nonlocal entry
        if entry is None or entry.msgstr:  # a new entry starts after the previous one's msgstr
            entry = Entry(line=lineno)
            entries.append(entry)
        return entry

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            target = None
            continue
        if line.startswith("#~"):
            start(lineno).obsolete = True
            continue
        if line.startswith("#,"):
            start(lineno).flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            current = entry if keyword == "msgstr" or keyword.startswith("msgstr[") else start(lineno)
            assert current is not None, f"django.po:{lineno}: msgstr without msgid"
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index) if index is not None else 0)
                current.msgstr[target[1]] = _unquote(literal, lineno)
            else:
                target = (keyword, None)
                setattr(current, keyword, _unquote(literal, lineno))
            continue
        assert line.startswith('"') and target is not None and entry is not None, f"django.po:{lineno}: {raw!r}"
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] += _unquote(line, lineno)  # type: ignore[index]
        else:
            setattr(entry, name, getattr(entry, name) + _unquote(line, lineno))
    return entries


def _unquote(literal: str, lineno: int) -> str:
    value = ast.literal_eval(literal)  # po strings use C escapes, which Python string literals share
    assert isinstance(value, str), f"django.po:{lineno}: not a string: {literal}"
    return value


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.exists(), "locale/ru/LC_MESSAGES/django.po is missing: run `make messages`"
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(po_entries: list[Entry]) -> list[Entry]:
    return [e for e in po_entries if e.msgid and not e.obsolete]


# --- the catalog itself -----------------------------------------------------------------------------------------


def test_header_is_russian_with_three_plural_forms(po_entries: list[Entry]) -> None:
    header = next(e for e in po_entries if e.msgid == "" and e.msgctxt is None)
    assert "fuzzy" not in header.flags, "a fuzzy header is skipped by msgfmt (no charset, no plural forms)"
    fields = dict(line.split(":", 1) for line in header.msgstr[0].splitlines() if ":" in line)  # "Name: value" lines
    assert fields["Language"].strip() == "ru"
    assert "charset=UTF-8" in fields["Content-Type"]
    assert fields["Plural-Forms"].strip().startswith("nplurals=3;")


def test_every_entry_is_translated(messages: list[Entry]) -> None:
    assert len(messages) > 30, "the catalog looks truncated"
    untranslated = [e.msgid for e in messages if not e.msgstr or not all(text.strip() for text in e.msgstr.values())]
    assert not untranslated, f"untranslated entries in django.po: {untranslated}"


def test_no_fuzzy_or_obsolete_entries(po_entries: list[Entry]) -> None:
    fuzzy = [e.msgid for e in po_entries if e.msgid and "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries (check the translation, then drop the flag): {fuzzy}"
    obsolete = [e.line for e in po_entries if e.obsolete]
    assert not obsolete, f"obsolete (#~) entries at lines {obsolete}: run `make messages` (--no-obsolete)"


def test_plural_entries_have_three_forms(messages: list[Entry]) -> None:
    for entry in messages:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == [0, 1, 2], f"{entry.msgid!r} needs msgstr[0..2]"
        else:
            assert sorted(entry.msgstr) == [0], f"{entry.msgid!r} is not a plural entry"


_PERCENT = re.compile(r"%(?:\((?P<name>[^)]+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[diouxXeEfFgGcrsa%])")
_BRACES = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def _placeholders(text: str, flags: set[str]) -> tuple[Any, ...]:
    named = sorted(f"%({m['name']}){m['conv']}" for m in _PERCENT.finditer(text) if m["name"])
    positional = [m["conv"] for m in _PERCENT.finditer(text) if not m["name"] and m["conv"] != "%"]
    braces = sorted(_BRACES.findall(text)) if "python-brace-format" in flags else []
    return tuple(named), tuple(positional), tuple(braces)


def test_placeholders_are_kept(messages: list[Entry]) -> None:
    for entry in messages:
        if not entry.flags & {"python-format", "python-brace-format"}:
            continue
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        expected = _placeholders(sources[-1], entry.flags)
        for index, text in entry.msgstr.items():
            # Russian form 0 also serves 21, 31…, so every form must show the number the English plural shows.
            assert _placeholders(text, entry.flags) == expected, f"msgstr[{index}] of {entry.msgid!r}: {text!r}"


def test_mo_is_compiled_from_the_current_po(messages: list[Entry]) -> None:
    assert MO_PATH.exists(), "locale/ru/LC_MESSAGES/django.mo is missing: run `make messages`"
    with MO_PATH.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}  # type: ignore[attr-defined]
    expected: dict[Any, str] = {}
    for entry in messages:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
    assert catalog == expected, "django.mo is stale: run `make messages` (compilemessages) and commit django.mo"
    assert {n: compiled.plural(n) for n in RUSSIAN_PLURAL} == RUSSIAN_PLURAL  # type: ignore[attr-defined]


# --- the catalog against the code -------------------------------------------------------------------------------

# The keywords makemessages passes to xgettext, with the positions of (context, singular, plural).
_FUNCTIONS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


@dataclass(frozen=True)
class Call:
    where: str
    key: str
    plural: str | None


def _source_files() -> Iterator[Path]:
    for directory, subdirs, files in os.walk(ROOT):
        here = Path(directory)
        subdirs[:] = sorted(
            d for d in subdirs if not d.startswith(".") and d not in IGNORED_DIRS and here / d not in IGNORED_PATHS
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield here / name


def _translation_calls() -> tuple[list[Call], list[str]]:
    """Every call of a gettext function with literal arguments, and the calls whose message is not a literal."""
    calls: list[Call] = []
    dynamic: list[str] = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases = dict.fromkeys(_FUNCTIONS, "")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    if alias.name in _FUNCTIONS and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in aliases:
                continue
            context_at, singular_at, plural_at = _FUNCTIONS[aliases[name] or name]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            args = node.args

            def literal(index: int | None, args: list[ast.expr] = args) -> str | None:
                if index is None or index >= len(args):
                    return None
                arg = args[index]
                return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None

            singular = literal(singular_at)
            if singular is None:
                if singular_at < len(args) and isinstance(args[singular_at], ast.JoinedStr):
                    dynamic.append(where)  # _(f"...") is never in the catalog
                continue
            context = literal(context_at)
            key = singular if context is None else f"{context}\x04{singular}"
            calls.append(Call(where, key, literal(plural_at)))
    return calls, dynamic


@pytest.fixture(scope="module")
def scan() -> tuple[list[Call], list[str]]:
    return _translation_calls()


@pytest.fixture(scope="module")
def translation_calls(scan: tuple[list[Call], list[str]]) -> list[Call]:
    return scan[0]


def test_no_f_strings_passed_to_gettext(scan: tuple[list[Call], list[str]]) -> None:
    dynamic = scan[1]
    assert not dynamic, f"f-strings passed to gettext can never be translated (use %(name)s): {dynamic}"


def test_every_message_in_the_code_is_in_the_catalog(translation_calls: list[Call], messages: list[Entry]) -> None:
    assert len(translation_calls) > 30, "the source scan found suspiciously few messages"
    known = {e.key: e for e in messages}
    missing = sorted({f"{call.where}: {call.key!r}" for call in translation_calls if call.key not in known})
    assert not missing, (
        "messages without a Russian translation: run `make messages`, translate the new entries in "
        f"locale/ru/LC_MESSAGES/django.po, run `make messages` again and commit django.po and django.mo: {missing}"
    )
    wrong_plural = sorted(
        call.where for call in translation_calls if call.plural is not None and known[call.key].msgid_plural is None
    )
    assert not wrong_plural, f"ngettext messages stored without plural forms: run `make messages`: {wrong_plural}"


def test_catalog_has_no_stale_entries(translation_calls: list[Call], messages: list[Entry]) -> None:
    used = {call.key for call in translation_calls}
    stale = sorted(e.msgid for e in messages if e.key not in used)
    assert not stale, f"entries no code uses any more: run `make messages` (--no-obsolete): {stale}"


# --- served by the API ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    # The middleware activates the request's language for the thread; do not leak Russian into later tests.
    with translation.override(translation.get_language()):
        yield


RU_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.8"}


@pytest.fixture
def russian(make_user: Callable[..., User], client_for: Callable[[User], APIClient]) -> APIClient:
    """A client of a user whose saved language is Russian (from an English-language browser)."""
    return client_for(make_user(language="ru"))


@pytest.mark.parametrize(
    ("query", "headers", "detail"),
    [
        ("", {}, "Not found."),
        ("?lang=ru", {}, "Не найдено."),
        ("", RU_BROWSER, "Not found."),
        ("?lang=en", RU_BROWSER, "Not found."),
    ],
    ids=["en", "lang=ru", "ru-browser", "lang=en-ru-browser"],
)
def test_unknown_api_path(anon_client: APIClient, query: str, headers: dict[str, str], detail: str) -> None:
    response = anon_client.get(f"/api/no-such-endpoint/{query}", **headers)
    assert response.status_code == 404
    assert response.json() == {"detail": detail, "code": "not_found"}
    assert response["Content-Language"] == ("ru" if "ru" in query else "en")
    assert "Accept-Language" not in response.get("Vary", "")


@pytest.mark.parametrize(
    ("query", "detail"), [("", "Request body is too large."), ("?lang=ru", "Тело запроса слишком большое.")]
)
def test_body_too_large(anon_client: APIClient, query: str, detail: str) -> None:
    # The middleware refuses by Content-Length before reading, so the declared length is enough.
    too_large = str(settings.CONSTANTS.MAX_BODY_SIZE + 1)
    response = anon_client.generic(
        "POST", f"/api/register/{query}", b"{}", content_type="application/json", CONTENT_LENGTH=too_large
    )
    assert response.status_code == 413
    assert response.json() == {"detail": detail, "code": "request_too_large"}


@pytest.mark.parametrize(
    ("query", "detail"),
    [("", "No active account found with the given credentials"), ("?lang=ru", "Неверный логин или пароль")],
)
def test_login_failure(anon_client: APIClient, user: User, query: str, detail: str) -> None:
    response = anon_client.post(
        f"/api/auth/{query}", {"username": user.username, "password": "wrong password"}, format="json", **RU_BROWSER
    )
    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"
    assert response.json()["detail"] == detail


def test_a_russian_browser_alone_gets_english(api: APIClient, other_user: User) -> None:
    # The contract's clients match English texts while running in Russian-language browsers.
    response = api.patch(f"/api/user/{other_user.pk}/", {"bio": "hi"}, format="json", **RU_BROWSER)
    assert response.status_code == 403
    assert response.json()["detail"] == "You can only change or delete your own account."
    assert response["Content-Language"] == "en"


def test_the_saved_language_of_the_user(russian: APIClient, other_user: User) -> None:
    response = russian.patch(f"/api/user/{other_user.pk}/", {"bio": "hi"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Изменять и удалять можно только свой аккаунт."
    assert response["Content-Language"] == "ru"
    # An explicit ?lang= wins for that request.
    response = russian.patch(f"/api/user/{other_user.pk}/?lang=en", {"bio": "hi"}, format="json")
    assert response.json()["detail"] == "You can only change or delete your own account."


@pytest.mark.parametrize("value", ["de", "RU", "", "ru-RU"])
def test_an_unsupported_lang_is_a_400(anon_client: APIClient, value: str) -> None:
    response = anon_client.get("/api/user/current/", {"lang": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "Unsupported language: use one of en, ru."
    assert body["lang"] == [body["detail"]]


def test_language_is_chosen_at_registration_and_changed_by_patch(anon_client: APIClient, db: None) -> None:
    response = anon_client.post(
        "/api/register/", {"username": "ivan", "password": "correct-horse-battery", "language": "ru"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["language"] == "ru"
    user = User.objects.get(username="ivan")
    assert user.language == "ru"
    from users.services import session_start

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_start(user).access}")
    assert client.get("/api/chat/00000000-0000-0000-0000-000000000000/").json()["detail"] == "Не найдено."
    response = client.patch(f"/api/user/{user.pk}/", {"language": "en"}, format="json")
    assert response.status_code == 200
    assert response.json()["language"] == "en"
    assert client.get("/api/chat/00000000-0000-0000-0000-000000000000/").json()["detail"] == "Not found."
    bad = client.patch(f"/api/user/{user.pk}/", {"language": "de"}, format="json")
    assert bad.status_code == 400 and "language" in bad.json()


def test_english_is_the_default_at_registration(anon_client: APIClient, db: None) -> None:
    response = anon_client.post(
        "/api/register/", {"username": "anna", "password": "correct-horse-battery"}, format="json", **RU_BROWSER
    )
    assert response.status_code == 201
    assert response.json()["language"] == "en"


def test_pages_outside_the_api_follow_the_browser(anon_client: APIClient, db: None) -> None:
    response = anon_client.get("/admin/login/", **RU_BROWSER)
    assert response["Content-Language"] == "ru"
    assert anon_client.get("/admin/login/")["Content-Language"] == "en"


def test_chat_of_others(make_user: Callable[..., User], russian: APIClient) -> None:
    from chats.services import chat_create

    creator, member = make_user(), make_user()
    chat = chat_create(creator=creator, members=[member.pk], title="Team").chat
    response = russian.get(f"/api/chat/{chat.pk}/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Вы не участник этого чата."


def test_message_of_others(make_user: Callable[..., User], client_for: Callable[[User], APIClient]) -> None:
    from chats.services import chat_create
    from messages.services import message_create

    creator, member = make_user(), make_user(language="ru")
    chat = chat_create(creator=creator, members=[member.pk], title="Team").chat
    message = Message.objects.get(pk=message_create(sender=creator, chat_id=chat.pk, text="hello").row.id)
    response = client_for(member).patch(f"/api/message/{message.pk}/", {"text": "edited"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Изменить сообщение может только его отправитель."


@pytest.mark.parametrize(
    ("language", "template"),
    [
        ("en", "Ensure this field has no more than {} characters."),
        ("ru", "Максимум символов в этом поле: {}."),
    ],
)
def test_validation_message_with_a_placeholder(
    make_user: Callable[..., User], client_for: Callable[[User], APIClient], language: str, template: str
) -> None:
    limit = settings.CONSTANTS.CHAT_TITLE_MAX_LENGTH
    client = client_for(make_user(language=language))
    response = client.post("/api/chats/", {"title": "x" * (limit + 1)}, format="json", **RU_BROWSER)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["title"] == [template.format(limit)]
    assert body["detail"] == template.format(limit)


def test_unknown_member_in_russian(russian: APIClient) -> None:
    unknown = uuid.uuid4()
    response = russian.post("/api/chats/", {"members": [str(unknown)], "title": "Team"}, format="json")
    assert response.status_code == 400
    assert response.json()["members"] == [f"Неизвестный пользователь: {unknown}."]
