"""End to end: REST writes through a live server → outbox → relay process → Centrifugo → centrifuge-python clients.

Every subscriber gets its tokens from /api/centrifugo/connect/ and /subscribe/ like the SPA does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import centrifuge
import pytest
import requests
from django.db import transaction

from centrifugo import outbox
from centrifugo.models import OutboxEvent
from centrifugo.tests.stack import Api
from users.models import User

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("relay")]


@pytest.fixture
def api_for(db_sessions_closed: None, live_server: Any) -> Callable[[User], Api]:
    return lambda user: Api(live_server.url, user)


def wait_until_delivered(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while OutboxEvent.objects.exists():
        assert time.monotonic() < deadline, "the relay did not drain the outbox"
        time.sleep(0.02)


def commit_event(channels: list[str], data: dict[str, Any]) -> None:
    with transaction.atomic():
        outbox.publish(channels, data)


def events(listener: Any, n: int) -> list[dict[str, Any]]:
    return listener.get_many(n)


# --------------------------------------------------------------------------------------- delivery and recovery
def test_a_committed_outbox_row_reaches_the_owner(make_user: Any, listen: Any, api_for: Any) -> None:
    user = make_user()
    listener = listen(api_for(user).access, str(user.id))
    commit_event([str(user.id)], {"event": "create", "message": {"id": "1"}})
    assert listener.get() == {"event": "create", "message": {"id": "1"}}
    listener.assert_silent(0.2)


def test_the_chats_namespace_channel(make_user: Any, listen: Any, api_for: Any) -> None:
    user = make_user()
    listener = listen(api_for(user).access, f"chats:{user.id}")
    commit_event([f"chats:{user.id}"], {"event": "chat_update", "chat": {"id": "c"}})
    assert listener.get() == {"event": "chat_update", "chat": {"id": "c"}}


def test_a_like_reaches_the_authors_social_channel_once(make_user: Any, listen: Any, api_for: Any) -> None:
    # Issue 8's acceptance path: the author hears of a like on `social:<id>`; a second like adds nothing.
    author, fan = make_user(), make_user()
    author_api, fan_api = api_for(author), api_for(fan)
    listener = listen(author_api.access, f"social:{author.id}")
    post = author_api.call("POST", "/api/posts/", 201, data={"description": "hello"})
    fan_api.call("POST", f"/api/post/{post['id']}/like/", 200)
    fan_api.call("POST", f"/api/post/{post['id']}/like/", 200)
    event = listener.get()
    assert (event["event"], event["post"], event["likes_count"]) == ("post_like", post["id"], 1)
    assert event["user"]["id"] == str(fan.id)
    listener.assert_silent(0.5)


def test_subscribing_to_another_users_channel_fails(
    make_user: Any, listen: Any, api_for: Any, client_loop: Any, centrifugo: Any
) -> None:
    me, other = make_user(), make_user()
    # Through the API: the subscribe endpoint answers 403, the SDK gives up (unauthorized, no retries).
    sneaky = listen(api_for(me).access, str(other.id), wait=False)
    unsubscribed = sneaky.unsubscribed.get(timeout=10)
    assert unsubscribed.code != 0
    # Without a token at all: Centrifugo itself refuses (personal channels need a subscription token).
    token = requests.post(f"{sneaky.api_url}/api/centrifugo/connect/", headers=sneaky.headers, timeout=5).json()[
        "token"
    ]
    refused: list[Any] = []

    class Handler(centrifuge.SubscriptionEventHandler):
        async def on_unsubscribed(self, ctx: centrifuge.UnsubscribedContext) -> None:
            refused.append(ctx)

    async def attempt() -> None:
        client = centrifuge.Client(centrifugo.ws_url, token=token)
        sub = client.new_subscription(str(other.id), events=Handler())
        await client.connect()
        await sub.subscribe()
        with contextlib.suppress(centrifuge.CentrifugeError):
            await sub.ready(timeout=5)
        await client.disconnect()

    client_loop.run(attempt())
    assert refused and refused[0].code != 0
    # And nothing of the other user's reaches me.
    owner = listen(api_for(other).access, str(other.id))
    commit_event([str(other.id)], {"event": "create", "message": {"id": "secret"}})
    assert owner.get()["message"]["id"] == "secret"
    sneaky.assert_silent(0.3)


def test_events_published_while_centrifugo_is_down_arrive_after_restart(
    make_user: Any, listen: Any, api_for: Any, centrifugo: Any
) -> None:
    user = make_user()
    listener = listen(api_for(user).access, str(user.id))
    centrifugo.stop()
    for n in range(5):
        commit_event([str(user.id)], {"event": "create", "message": {"n": n}})
    time.sleep(0.3)
    assert OutboxEvent.objects.count() == 5  # kept while Centrifugo is unreachable
    centrifugo.start()
    assert [e["message"]["n"] for e in events(listener, 5)] == [0, 1, 2, 3, 4]
    wait_until_delivered()
    listener.assert_silent(0.3)


def test_a_client_that_reconnects_recovers_what_it_missed(make_user: Any, listen: Any, api_for: Any) -> None:
    user = make_user()
    listener = listen(api_for(user).access, str(user.id))
    commit_event([str(user.id)], {"event": "create", "message": {"n": 0}})
    assert listener.get()["message"]["n"] == 0
    listener.subscribed.get(timeout=1)  # the first subscribe
    listener.disconnect()
    for n in range(1, 4):
        commit_event([str(user.id)], {"event": "create", "message": {"n": n}})
    wait_until_delivered()  # into Centrifugo's history while the client was away
    listener.reconnect()
    assert [e["message"]["n"] for e in events(listener, 3)] == [1, 2, 3]
    resubscribed = listener.subscribed.get(timeout=5)
    assert resubscribed.was_recovering and resubscribed.recovered


# ----------------------------------------------------------------------------------------- the contract's events
def test_every_message_event_with_the_rest_payload(make_user: Any, listen: Any, api_for: Any) -> None:
    alice, bob = make_user(), make_user()
    a, b = api_for(alice), api_for(bob)
    chat = a.create_chat(bob)
    to_bob = listen(b.access, str(bob.id))
    to_alice = listen(a.access, str(alice.id))

    sent = a.send(chat, "hello")
    event = to_bob.get()
    assert event == {"event": "create", "message": b.message(sent["id"])}
    assert event["message"]["sender"]["id"] == str(alice.id)
    assert event["message"]["chat"] == chat
    assert to_alice.get()["event"] == "create"

    a.call("PATCH", f"/api/message/{sent['id']}/", 200, json={"text": "hello, edited"})
    event = to_bob.get()
    assert event == {"event": "update", "message": b.message(sent["id"])}
    assert event["message"]["text"] == "hello, edited"
    assert to_alice.get()["event"] == "update"

    b.call("POST", f"/api/message/{sent['id']}/read/", 200)
    event = to_alice.get()
    assert event == {"event": "read", "message": a.message(sent["id"])}
    assert [u["id"] for u in event["message"]["was_read_by"]] == [str(bob.id)]
    assert to_bob.get()["event"] == "read"

    second, third = a.send(chat, "two"), a.send(chat, "three")
    assert [e["message"]["id"] for e in events(to_bob, 2)] == [second["id"], third["id"]]
    events(to_alice, 2)
    b.call("POST", f"/api/messages/read_all/?chat={chat}", 200)
    read = {"chat": chat, "user": str(bob.id), "messages": [second["id"], third["id"]]}
    expected = {"event": "read_all", "message": read}
    assert to_alice.get() == expected
    assert to_bob.get() == expected

    before = b.message(third["id"])
    a.call("DELETE", f"/api/message/{third['id']}/", 204)
    assert to_bob.get() == {"event": "delete", "message": before}
    assert to_alice.get()["event"] == "delete"
    to_bob.assert_silent(0.2)


def test_one_message_reaches_all_twenty_members(make_user: Any, listen: Any, api_for: Any) -> None:
    members = [make_user() for _ in range(20)]
    creator = api_for(members[0])
    chat = creator.create_chat(*members[1:])
    listeners = [listen(api_for(member).access, str(member.id)) for member in members]
    wait_until_delivered()
    sent = creator.send(chat, "to everyone")
    received = [listener.get() for listener in listeners]
    assert all(event == received[0] for event in received)
    assert received[0]["event"] == "create"
    assert received[0]["message"]["id"] == sent["id"]
    assert received[0]["message"] == api_for(members[5]).message(sent["id"])


def test_a_big_groups_messages_reach_its_channel_not_the_personal_ones(
    make_user: Any, listen: Any, api_for: Any, settings: Any
) -> None:
    # Above the personal channel's limit (lowered here to 2) a group's message events go once to `chat:<id>`.
    settings.CONSTANTS = dataclasses.replace(settings.CONSTANTS, CONTRACT_GROUP_MAX_MEMBERS=2)
    members = [make_user() for _ in range(3)]
    creator = api_for(members[0])
    chat = creator.create_chat(*members[1:])
    reader = api_for(members[1])
    channel = reader.call("GET", f"/api/chat/{chat}/", 200)["channel"]
    assert channel == f"chat:{chat}"
    on_chat = listen(reader.access, channel)
    personal = listen(api_for(members[2]).access, str(members[2].id))
    wait_until_delivered()
    own = listen(reader.access, str(members[1].id))
    wait_until_delivered()
    sent = creator.send(chat, "to the big group")
    event = on_chat.get()
    assert (event["event"], event["message"]) == ("create", reader.message(sent["id"]))
    personal.assert_silent(0.3)
    # A read goes to the reader's own channel only: a big group shows nobody its readers.
    reader.call("POST", f"/api/messages/read_all/?chat={chat}", 200)
    read = {"chat": chat, "user": str(members[1].id), "messages": [sent["id"]]}
    assert own.get() == {"event": "read_all", "message": read}
    on_chat.assert_silent(0.3)
    personal.assert_silent(0.1)
    # An outsider's subscription is refused by the API (403) and the SDK gives up.
    outsider = listen(api_for(make_user()).access, channel, wait=False)
    assert outsider.unsubscribed.get(timeout=10).code != 0


@pytest.fixture
def server_api(settings: Any, centrifugo: Any) -> None:
    """The live server's own calls to Centrifugo's API (centrifugo.access) go to the test's Centrifugo."""
    settings.CENTRIFUGO_API_URL = centrifugo.api_url


@pytest.mark.usefixtures("server_api")
def test_who_leaves_a_big_group_stops_hearing_its_channel_at_once(
    make_user: Any, listen: Any, api_for: Any, settings: Any
) -> None:
    """Removed or gone, a member is unsubscribed from the big group's channel when the change commits, not when
    their subscription token (5 minutes) runs out; the others hear on."""
    settings.CONSTANTS = dataclasses.replace(settings.CONSTANTS, CONTRACT_GROUP_MAX_MEMBERS=2)
    members = [make_user() for _ in range(5)]  # three stay: still a big group
    creator, removed, leaving, staying = (api_for(member) for member in members[:4])
    chat = creator.create_chat(*members[1:])
    on_removed, on_leaving, on_staying = (listen(api.access, f"chat:{chat}") for api in (removed, leaving, staying))
    creator.call("DELETE", f"/api/chat/{chat}/members/{members[1].id}/", 204)
    leaving.call("POST", f"/api/chat/{chat}/leave/", 204)
    for gone in (on_removed, on_leaving):
        assert gone.unsubscribed.get(timeout=10).code == 2000  # Centrifugo's server-side unsubscribe: no retry
    sent = creator.send(chat, "after they went")
    assert staying.message(sent["id"]) == on_staying.get()["message"]
    on_removed.assert_silent(0.5)
    on_leaving.assert_silent(0.1)


@pytest.mark.usefixtures("server_api")
def test_a_deleted_users_connection_is_closed_for_good(make_user: Any, listen: Any, api_for: Any) -> None:
    user = make_user()
    api = api_for(user)
    listener = listen(api.access, str(user.id))
    api.call("DELETE", f"/api/user/{user.id}/", 204)
    disconnected = listener.errors.get(timeout=10)
    assert isinstance(disconnected, centrifuge.DisconnectedContext), disconnected
    assert disconnected.code >= 3500, disconnected  # terminal: the client does not reconnect


def test_messages_are_sent_quickly_while_centrifugo_is_down(
    make_user: Any, listen: Any, api_for: Any, centrifugo: Any
) -> None:
    alice, bob = make_user(), make_user()
    a, b = api_for(alice), api_for(bob)
    chat = a.create_chat(bob)
    to_bob = listen(b.access, str(bob.id))
    centrifugo.stop()
    sent, durations = [], []
    for n in range(5):
        started = time.monotonic()
        sent.append(a.send(chat, f"while down {n}")["id"])
        durations.append(time.monotonic() - started)
    assert max(durations) < 2.0, durations  # nobody waits for Centrifugo (its API timeout is 2 s here)
    centrifugo.start()
    assert [e["message"]["id"] for e in events(to_bob, 5)] == sent
    assert all(e["event"] == "create" for e in events(to_bob, 0))
