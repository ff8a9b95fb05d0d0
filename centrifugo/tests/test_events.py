"""The event catalogue and the documentation that shows it."""

from __future__ import annotations

import re

from django.conf import settings

from centrifugo.events import CATALOGUE, PERSONAL, catalogue_markdown


def test_docs_show_the_catalogue() -> None:
    text = (settings.BASE_DIR / "docs" / "realtime.md").read_text(encoding="utf-8")
    documented = re.search(r"<!-- events:start -->\n(.*?)<!-- events:end -->", text, re.S)
    assert documented is not None
    assert documented.group(1) == catalogue_markdown(), "run `manage.py events_table` and paste it into the docs"


def test_every_app_declaration_is_loaded_with_django() -> None:
    # centrifugo's AppConfig.ready() discovers every app's events.py: nothing has to import them first.
    assert {"create", "chat_create", "friend_request", "post_like"} <= set(CATALOGUE)
    assert [kind.name for kind in CATALOGUE.values() if kind.family is PERSONAL] == [
        "create",
        "update",
        "delete",
        "read",
        "read_all",
    ]
