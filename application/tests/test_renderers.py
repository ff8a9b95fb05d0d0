"""FastJSONRenderer writes exactly what DRF's JSONRenderer writes."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from application.renderers import FastJSONRenderer
from chats.tests.helpers import group, private, send, text_upload
from messages.services import message_read

UTC = datetime.UTC
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")

SAMPLES = [
    None,
    {},
    [],
    {"a": 1, "b": [True, False, None], "c": "текст ✓ 😀", "d": -(2**63), "e": 2**64 - 1, "f": 1.5},
    {"line": "a\u2028b\u2029c", "ctl": '\x00\x1f"\\/\t\n', "html": "<script>&'"},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), 3: "int key"},
    {
        "utc": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "utc_whole": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "moscow": datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=MOSCOW),
        "naive": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "date": datetime.date(2024, 1, 2),
        "time": datetime.time(3, 4, 5, 600),
        "delta": datetime.timedelta(seconds=90),
    },
    {"decimal": Decimal("1.10"), "lazy": gettext_lazy("Invalid page."), "set": {1}, "tuple": (1, "x")},
    ReturnDict({"nested": ReturnList([ReturnDict({"k": "v"}, serializer=None)], serializer=None)}, serializer=None),
    {"huge": 2**70},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_same_bytes_as_drf(data: object) -> None:
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_indent_and_browsable_fall_back() -> None:
    data = {"a": [1, 2]}
    assert FastJSONRenderer().render(data, "application/json; indent=4") == JSONRenderer().render(
        data, "application/json; indent=4"
    )
    assert FastJSONRenderer().render(data, None, {"indent": 4}) == JSONRenderer().render(data, None, {"indent": 4})


def test_unserializable_fails_as_in_drf() -> None:
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"x": object()})


def test_api_responses_are_drf_bytes(make_user, client_for) -> None:
    creator = make_user(avatar="avatars/a/b.png", bio="ünïcode\u2028")
    member = make_user()
    chat = group(creator, member, make_user(), title="группа")
    first = send(creator, chat, "привет", files=[text_upload()])
    send(member, chat, "reply", reply_to=first.pk)
    message_read(actor=member, message_id=first.pk)
    private(member, creator)
    client: APIClient = client_for(member)
    for path, params in [
        ("/api/chats/", {}),
        (f"/api/chat/{chat.pk}/", {}),
        ("/api/messages/", {"chat": str(chat.pk)}),
        (f"/api/message/{first.pk}/", {}),
        ("/api/chats/", {"page": 9}),  # an error body
        (f"/api/user/{creator.pk}/", {}),
    ]:
        response = client.get(path, params)
        assert response["Content-Type"] == "application/json"
        assert response.content == JSONRenderer().render(response.data), path
    response = client.post("/api/messages/", {"chat": str(chat.pk)}, format="json")  # a validation error
    assert response.status_code == 400
    assert response.content == JSONRenderer().render(response.data)
