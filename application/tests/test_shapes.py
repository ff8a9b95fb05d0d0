"""The shape framework: rendering, the strict check, the generated OpenAPI serializer, already rendered values."""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from application.shapes import (
    UUID,
    Boolean,
    Choice,
    Constant,
    DateTime,
    FileURL,
    Integer,
    ListOf,
    Nested,
    RenderContext,
    Rendered,
    Shape,
    ShapeError,
    Text,
)


class Inner(Shape):
    id = UUID()
    name = Text(null=True)


class Outer(Shape):
    """An outer thing."""

    kind = Constant("outer")
    id = UUID()
    count = Integer()
    flag = Boolean()
    when = DateTime()
    picture = FileURL(null=True)
    mood = Choice(["calm", "busy"])
    tags = ListOf(Text())
    inner = Nested(Inner, null=True)
    items = Nested(Inner, many=True)
    renamed = Text(source="other_name")


class Extended(Outer):
    extra = Integer()


ID = uuid.UUID("11111111-2222-3333-4444-555555555555")
WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=datetime.UTC)


def _row(**overrides: object) -> SimpleNamespace:
    values = {
        "id": ID,
        "count": 3,
        "flag": True,
        "when": WHEN,
        "picture": "pictures/a.png",
        "mood": "calm",
        "tags": ["a", "b"],
        "inner": SimpleNamespace(id=ID, name=None),
        "items": [SimpleNamespace(id=ID, name="x")],
        "other_name": "from elsewhere",
        "extra": 7,
    }
    return SimpleNamespace(**(values | overrides))


def test_render_follows_the_declaration() -> None:
    data = Outer.render(_row(), RenderContext())
    assert list(data) == list(Outer.fields)
    assert data["kind"] == "outer" and data["id"] == str(ID) and data["when"] == "2026-01-02T03:04:05.120000Z"
    assert data["picture"].startswith("http") and data["picture"].endswith("/pictures/a.png")
    assert data["inner"] == {"id": str(ID), "name": None} and data["items"] == [{"id": str(ID), "name": "x"}]
    assert data["renamed"] == "from elsewhere"
    Outer.check(data)


def test_subclasses_add_fields_after_the_inherited_ones() -> None:
    assert list(Extended.fields) == [*Outer.fields, "extra"]
    assert Extended.render(_row(), RenderContext())["extra"] == 7


def test_already_rendered_values_pass_through() -> None:
    data = Outer.render(_row(items=Rendered(b'[{"id":"x"}]'), picture=Rendered(b'"https://cdn/a"')), RenderContext())
    assert isinstance(data["items"], Rendered) and data["items"] == [{"id": "x"}]
    assert data["picture"] == "https://cdn/a"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": "3"}, "count: expected integer"),
        ({"flag": 1}, "flag: expected boolean"),
        ({"count": True}, "count: expected integer, got a boolean"),
        ({"id": "nope"}, "id: not a UUID"),
        ({"when": "yesterday"}, "when: not an ISO 8601"),
        ({"picture": "/relative.png"}, "picture: not an absolute URL"),
        ({"mood": "angry"}, "mood: 'angry' is not one of"),
        ({"tags": ["a", 1]}, "tags[1]: expected text"),
        ({"tags": "a"}, "tags: expected [text]"),
        ({"items": {}}, "items: expected [Inner]"),
        ({"inner": {"id": str(ID)}}, "inner: fields differ from the declared ones: missing ['name']"),
        ({"items": [{"id": str(ID), "name": 5}]}, "items[0].name: expected text"),
        ({"kind": "other"}, "kind: expected 'outer'"),
        ({"renamed": None}, "renamed: null is not allowed"),
    ],
)
def test_check_refuses_what_the_declaration_does_not_allow(change: dict, message: str) -> None:
    data = Outer.render(_row(), RenderContext()) | change
    with pytest.raises(ShapeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Outer.check(data)


def test_check_refuses_missing_and_undeclared_fields_in_any_order() -> None:
    data = Outer.render(_row(), RenderContext())
    Outer.check(dict(reversed(data.items())))
    for broken in ({**data, "surprise": 1}, {k: v for k, v in data.items() if k != "count"}):
        with pytest.raises(ShapeError, match="differ from the declared"):
            Outer.check(broken)


def test_the_openapi_serializer_is_generated_from_the_fields() -> None:
    serializer = Outer.serializer()
    assert serializer is Outer.serializer()  # one component per shape
    assert serializer.__name__ == "Outer" and serializer.__doc__ == "An outer thing."
    fields = serializer().fields
    assert list(fields) == list(Outer.fields)
    assert isinstance(fields["items"], serializers.ListSerializer) and fields["inner"].allow_null
    assert isinstance(fields["mood"], serializers.ChoiceField) and list(fields["mood"].choices) == ["calm", "busy"]
    assert all(field.read_only for field in fields.values())
