"""Typing: an ephemeral event straight to Centrifugo (no outbox, no history), throttled per user and chat."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from centrifugo.events import CATALOGUE
from centrifugo.models import OutboxEvent
from centrifugo.tests.stack import Api
from chats import services as chats
from chats.tests.helpers import group
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(db_sessions_closed: None, live_server: Any) -> Callable[[User], Api]:
    return lambda user: Api(live_server.url, user)


@pytest.mark.realtime
def test_the_other_members_hear_it_once_per_window(
    make_user: Any, listen: Any, api_for: Any, centrifugo: Any, settings: Any
) -> None:
    settings.CENTRIFUGO_API_URL = centrifugo.api_url
    typist, reader, third = make_user(), make_user(), make_user()
    chat = group(typist, reader, third)
    readers = [listen(api_for(user).access, f"chats:{user.pk}") for user in (reader, third)]
    own = listen(api_for(typist).access, f"chats:{typist.pk}")
    api = api_for(typist)
    api.call("POST", f"/api/chat/{chat.pk}/typing/", 204)
    for listener in readers:
        event = listener.get()
        CATALOGUE["typing"].check(event)
        assert event["chat"] == {"id": str(chat.pk)} and event["user"]["id"] == str(typist.pk)
        assert event["expires_in"] == 6
    own.assert_silent(0.3)  # not to the typist
    # Keystrokes within 3 s are coalesced: answered, not published.
    for _ in range(5):
        api.call("POST", f"/api/chat/{chat.pk}/typing/", 204)
    readers[0].assert_silent(0.5)
    assert not OutboxEvent.objects.filter(data__event="typing").exists()
    # Not kept in the channel's history: a client subscribing now recovers nothing.
    history = requests.post(
        f"{centrifugo.api_url}/history",
        json={"channel": f"chats:{reader.pk}", "limit": 10},
        headers={"X-API-Key": settings.CENTRIFUGO_API_KEY},
        timeout=5,
    ).json()
    assert [
        p["data"]["event"] for p in history["result"].get("publications", []) if p["data"]["event"] == "typing"
    ] == []
    # After the window, the next one goes out.
    time.sleep(3.1)
    api.call("POST", f"/api/chat/{chat.pk}/typing/", 204)
    assert readers[1].get()["event"] == "typing"


def test_members_only(as_outsider: Any, as_member: Any, creator: User, member: User) -> None:
    chat = group(creator, member)
    assert as_outsider.post(f"/api/chat/{chat.pk}/typing/").status_code == 403
    assert as_member.post(f"/api/chat/{uuid.uuid4()}/typing/").status_code == 404
    assert as_member.post("/api/chat/nope/typing/").status_code == 404
    with pytest.raises(Exception, match="not a member"):
        chats.chat_typing(actor=User.objects.create(username="stranger"), chat_id=chat.pk)


def test_centrifugo_down_drops_it_quietly(as_member: Any, creator: User, member: User, settings: Any) -> None:
    from centrifugo.tests.stack import free_port

    settings.CENTRIFUGO_API_URL = f"http://127.0.0.1:{free_port()}/api"
    chat = group(creator, member)
    started = time.monotonic()
    assert as_member.post(f"/api/chat/{chat.pk}/typing/").status_code == 204
    assert time.monotonic() - started < 2
    assert not OutboxEvent.objects.filter(data__event="typing").exists()
