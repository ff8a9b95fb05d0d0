"""UserShape's two renderings — Python (`Shape.render`) and PostgreSQL (`application.shapes_sql`) — against a
reference written independently (the model's fields through DRF), field by field of the declaration."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from application.renderers import dumps
from application.shapes import RenderContext, Rendered
from application.shapes_sql import JSONRows
from users.models import User
from users.shapes import CurrentUserShape, UserShape
from users.tests.helpers import tricky_users


def reference_user(user: User, *, private: bool = False) -> dict[str, Any]:
    """The user through DRF's own fields for the model's columns; `is_online` from the model's property. Every
    declared field must be here: a field added to the shape fails this until the reference shows it."""
    shape = CurrentUserShape if private else UserShape
    columns = [name for name in shape.fields if name != "is_online"]

    class Reference(serializers.ModelSerializer):
        class Meta:
            model = User
            fields = columns

    data = dict(Reference(user).data)
    data["is_online"] = user.is_online
    data = {name: data[name] for name in shape.fields}
    assert list(data) == list(shape.fields)
    return orjson.loads(JSONRenderer().render(data))


def _sql(users: list[User], context: RenderContext) -> list[bytes]:
    rows = JSONRows(UserShape, context)
    ordered = User.objects.filter(pk__in=[u.pk for u in users]).order_by("date_joined", "id")
    return [rows.fix(text) for text in ordered.values_list(rows.json, flat=True)]


def test_python_and_sql_equal_the_reference(make_user) -> None:
    users = tricky_users(make_user)
    users = sorted(User.objects.filter(pk__in=[u.pk for u in users]), key=lambda u: (u.date_joined, u.pk))
    context = RenderContext()
    texts = _sql(users, context)
    for user, text in zip(users, texts, strict=True):
        expected = reference_user(user)
        python = UserShape.render(user, context)
        assert orjson.loads(dumps(python)) == expected
        assert orjson.loads(text) == expected
        # As the renderer writes it, byte for byte (it escapes U+2028/U+2029 in the whole response).
        assert dumps(Rendered(text)) == dumps(python) == JSONRenderer().render(expected)
    assert [orjson.loads(t)["is_online"] for t in texts] == [True, False, True, False, False, True]


def test_current_user_adds_the_private_fields(make_user) -> None:
    user = make_user(email="me@example.com", status="busy")
    data = CurrentUserShape.render(user, RenderContext())
    assert orjson.loads(dumps(data)) == reference_user(user, private=True)
    assert list(data) == [*UserShape.fields, "email", "status", "language"]


def test_names_that_need_quoting_are_fixed_in_python(make_user) -> None:
    users = tricky_users(make_user)
    context = RenderContext()
    rows = JSONRows(UserShape, context)
    ordered = User.objects.filter(pk__in=[u.pk for u in users]).order_by("date_joined", "id")
    texts = list(ordered.values_list(rows.json, flat=True))
    # SQL marks the names it cannot turn into URLs; the fix writes them through the storage.
    marked = [orjson.loads(text)["avatar"] for text in texts]
    assert [name.split(":", 2)[2] if name and name.startswith("\x01url:") else None for name in marked] == [
        None
    ] * 4 + [
        "avatars/ü x/привет #1.png",
        "avatars/x/../a%20b.png",
    ]
    assert [orjson.loads(rows.fix(text))["avatar"] for text in texts[4:]] == [
        default_storage.url("avatars/ü x/привет #1.png"),
        default_storage.url("avatars/x/../a%20b.png"),
    ]


def test_signed_urls_are_written_in_python(make_user, monkeypatch: pytest.MonkeyPatch) -> None:
    """A storage whose URLs are not prefix + name (S3 with query-string auth): every avatar is fixed in Python."""
    users = tricky_users(make_user)
    monkeypatch.setattr(default_storage, "url", lambda name: f"https://bucket.example/{name}?X-Amz-Signature=abc")
    context = RenderContext()
    ordered = sorted(User.objects.filter(pk__in=[u.pk for u in users]), key=lambda u: (u.date_joined, u.pk))
    for user, text in zip(ordered, _sql(users, context), strict=True):
        assert orjson.loads(text) == orjson.loads(dumps(UserShape.render(user, context)))
    assert orjson.loads(_sql(users, context)[2])["avatar"].endswith("?X-Amz-Signature=abc")


def test_timestamps_with_and_without_microseconds(make_user) -> None:
    now = timezone.now()
    users = [make_user(last_online_at=now.replace(microsecond=m)) for m in (0, 1, 10, 999999, 120000)]
    stamps = [orjson.loads(text)["last_online_at"] for text in _sql(users, RenderContext())]
    assert stamps == [RenderContext.datetime(u.last_online_at) for u in users]
    assert "." not in stamps[0] and stamps[0].endswith("Z")
    assert stamps[1].endswith(".000001Z")


def test_one_rendering_per_user_and_context(make_user) -> None:
    user = make_user()
    context = RenderContext()
    assert UserShape.render(user, context) is UserShape.render(user, context)
    assert CurrentUserShape.render(user, context) is not UserShape.render(user, context)
