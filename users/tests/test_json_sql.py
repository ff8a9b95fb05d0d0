"""users.json_sql: the user JSON PostgreSQL writes equals UserDicts' (and so UserSerializer's), and the SQL path
is taken only where it can be exact."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from messages.renderers import FastJSONRenderer, dumps
from messages.serializers import as_json
from users import json_sql
from users.json_sql import JSONText
from users.models import User
from users.serializers import USER_COLUMNS, UserDicts, UserSerializer
from users.tests.helpers import tricky_users

REQUEST = APIRequestFactory().get("/")


def _sql_texts(users: list[User], dicts: UserDicts) -> list[tuple[tuple, str, str | None]]:
    """(USER_COLUMNS values, the SQL-written JSON after the avatar fix, the flagged avatar name) per user."""
    columns = json_sql.user_json_columns(dicts)
    assert columns is not None
    rows = User.objects.filter(pk__in=[u.pk for u in users]).order_by("date_joined", "id")
    result = []
    for *values, text, unsafe in rows.values_list(*USER_COLUMNS, *columns):
        if unsafe is not None:
            text = json_sql.fix_avatar(dicts, text, unsafe)
        result.append((tuple(values), text, unsafe))
    return result


@pytest.mark.parametrize("request_", [REQUEST, None], ids=["request", "no-request"])
def test_sql_json_equals_user_dicts(make_user, request_: Any) -> None:
    users = tricky_users(make_user)
    dicts = UserDicts(request_)
    rows = _sql_texts(users, dicts)
    assert len(rows) == len(users)
    for values, text, _unsafe in rows:
        expected = dicts.from_values(*values)
        assert orjson.loads(text) == expected
        # As the renderer writes it, byte for byte (it escapes U+2028/U+2029 in the whole response).
        assert dumps(JSONText(text.encode())) == dumps(expected) == JSONRenderer().render(expected)
        if text.isascii():
            assert text.encode() == orjson.dumps(expected)
    # Exactly the names whose URL needs quoting or resolving are fixed in Python.
    assert [unsafe for _values, _text, unsafe in rows] == [None] * 4 + [
        "avatars/ü x/привет #1.png",
        "avatars/x/../a%20b.png",
    ]
    # And all of it is UserSerializer's output.
    context = {"request": request_} if request_ else {}
    expected = as_json(
        UserSerializer(sorted(users, key=lambda u: (u.date_joined, u.pk)), many=True, context=context).data
    )
    assert as_json(JSONText.array(text for _values, text, _unsafe in rows)) == expected
    assert [d["is_online"] for d in expected] == [True, False, True, False, False, True]


def test_timestamps_with_and_without_microseconds(make_user) -> None:
    now = timezone.now()
    users = [make_user(last_online_at=now.replace(microsecond=m)) for m in (0, 1, 10, 999999, 120000)]
    dicts = UserDicts(REQUEST)
    stamps = [orjson.loads(text)["last_online_at"] for _values, text, _unsafe in _sql_texts(users, dicts)]
    assert stamps == [dicts.datetime(u.last_online_at) for u in users]
    assert "." not in stamps[0] and stamps[0].endswith("Z")
    assert stamps[1].endswith(".000001Z")


def test_python_path_where_sql_cannot_be_exact(monkeypatch) -> None:
    assert json_sql.user_json_columns(UserDicts(REQUEST)) is not None
    assert json_sql.user_json_columns(None) is None
    with timezone.override("Europe/Moscow"):
        assert json_sql.user_json_columns(UserDicts(REQUEST)) is None
    with timezone.override("UTC"):
        assert json_sql.user_json_columns(UserDicts(REQUEST)) is not None

    storage = UserDicts().storage
    with monkeypatch.context() as patch:  # signed URLs (S3 with query-string auth)
        patch.setattr(storage, "url", lambda name: f"https://bucket.example/{name}?X-Amz-Signature=abc")
        assert json_sql.user_json_columns(UserDicts(REQUEST)) is None
    with monkeypatch.context() as patch:  # a storage that quotes characters the SQL would copy
        patch.setattr(storage, "url", lambda name: "https://cdn.example/" + name.replace("~", "%7E"))
        assert json_sql.user_json_columns(UserDicts(REQUEST)) is None
    with monkeypatch.context() as patch:
        patch.setattr(json_sql, "ENABLED", False)
        assert json_sql.user_json_columns(UserDicts(REQUEST)) is None


def test_json_text_reads_as_its_value() -> None:
    text = JSONText.array(['{"a":"\u2028ü"}', "[1,2]"])
    assert text == [{"a": "\u2028ü"}, [1, 2]] and text == JSONText(b'[{"a":"\\u2028\\u00fc"},[1,2]]')
    assert len(text) == 2 and text[1] == [1, 2] and [item for item in text] == [{"a": "\u2028ü"}, [1, 2]]
    data = {"members": text, "n": 1}
    # The orjson path copies the text; DRF's encoder (fallbacks: indent, ensure_ascii) reads the value.
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    indent = "application/json; indent=2"
    assert FastJSONRenderer().render(data, indent) == JSONRenderer().render(data, indent)

    class Ascii(FastJSONRenderer):
        ensure_ascii = True

    class DRFAscii(JSONRenderer):
        ensure_ascii = True

    assert Ascii().render(data) == DRFAscii().render(data)
    assert as_json(data) == {"members": [{"a": "\u2028ü"}, [1, 2]], "n": 1}
