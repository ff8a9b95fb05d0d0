"""The issue's acceptance path, as a new user would walk it through the API."""

from __future__ import annotations

import pytest

from centrifugo.models import OutboxEvent
from users.tests.helpers import png_upload

pytestmark = pytest.mark.django_db


def test_friends_post_like_and_view(client_for, make_user, settings) -> None:
    alice, bob = make_user(), make_user()
    as_alice, as_bob = client_for(alice), client_for(bob)

    request = as_alice.post("/api/friends/requests/", {"user": str(bob.id)}, format="json").data["request"]
    assert as_bob.get("/api/friends/requests/?direction=incoming").data["results"][0]["id"] == request["id"]
    assert as_bob.post(f"/api/friends/requests/{request['id']}/accept/").data["user_is_friend"] is True
    assert as_alice.get(f"/api/friends/{bob.id}/").data == {"user_is_friend": True}

    images = [png_upload("1.png"), png_upload("2.png")]
    created = as_alice.post("/api/posts/", {"description": "holiday", "images": images}, format="multipart")
    assert created.status_code == 201
    post_id = created.data["id"]

    feed = as_bob.get("/api/posts/?friends=on").data
    assert [p["id"] for p in feed["results"]] == [post_id]
    assert all(url.startswith(settings.PUBLIC_URL) for url in feed["results"][0]["images"])

    for _ in range(2):
        liked = as_bob.post(f"/api/post/{post_id}/like/")
    assert liked.data["likes_count"] == 1 and liked.data["liked_by_me"] is True
    for _ in range(2):
        viewed = as_bob.post(f"/api/post/{post_id}/view/")
    assert viewed.data == {"views": 1}

    like_events = [e for e in OutboxEvent.objects.order_by("id") if e.data["event"] == "post_like"]
    assert len(like_events) == 1
    assert like_events[0].channels == [f"social:{alice.id}"]
    assert like_events[0].data["user"]["id"] == str(bob.id)
    assert [e.data["event"] for e in OutboxEvent.objects.order_by("id")] == [
        "friend_request",
        "friend_accept",
        "post_like",
    ]


def test_the_social_channel_is_granted_to_its_owner_only(client_for, make_user) -> None:
    alice, bob = make_user(), make_user()
    own = client_for(alice).post("/api/centrifugo/subscribe/", {"channel": f"social:{alice.id}"}, format="json")
    assert own.status_code == 200 and own.data["token"]
    other = client_for(bob).post("/api/centrifugo/subscribe/", {"channel": f"social:{alice.id}"}, format="json")
    assert other.status_code == 403
