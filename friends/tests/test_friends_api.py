from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from centrifugo.models import OutboxEvent
from friends import services
from friends.models import FriendRequest, Friendship
from users.models import User

pytestmark = pytest.mark.django_db


def _friends(a: User, b: User) -> bool:
    forward = Friendship.objects.filter(user=a, friend=b).exists()
    backward = Friendship.objects.filter(user=b, friend=a).exists()
    assert forward == backward, "the two directed rows must exist together"
    return forward


def _send(client: APIClient, to: User):
    return client.post("/api/friends/requests/", {"user": str(to.id)}, format="json")


class TestSend:
    def test_send_creates_a_request_and_tells_the_receiver(self, api: APIClient, user: User, other_user: User) -> None:
        response = _send(api, other_user)
        assert response.status_code == 201, response.data
        assert response.data["user_is_friend"] is False
        assert response.data["user"]["id"] == str(other_user.id)
        request = response.data["request"]
        assert request["from_user"]["id"] == str(user.id)
        assert request["to_user"]["id"] == str(other_user.id)
        assert FriendRequest.objects.filter(pk=request["id"]).exists()
        event = OutboxEvent.objects.get()
        assert event.channels == [f"social:{other_user.id}"]
        assert event.data["event"] == "friend_request"
        assert event.data["request"]["id"] == request["id"]
        assert event.data["request"]["from_user"]["username"] == user.username

    def test_sending_twice_is_idempotent(self, api: APIClient, other_user: User) -> None:
        first = _send(api, other_user)
        second = _send(api, other_user)
        assert second.status_code == 200
        assert second.data["request"]["id"] == first.data["request"]["id"]
        assert FriendRequest.objects.count() == 1
        assert OutboxEvent.objects.count() == 1

    def test_yourself_is_400(self, api: APIClient, user: User) -> None:
        response = _send(api, user)
        assert response.status_code == 400
        assert "user" in response.data
        assert not FriendRequest.objects.exists()

    def test_unknown_or_malformed_user_is_400(self, api: APIClient) -> None:
        assert api.post("/api/friends/requests/", {"user": str(uuid.uuid4())}, format="json").status_code == 400
        assert api.post("/api/friends/requests/", {"user": "nope"}, format="json").status_code == 400
        assert api.post("/api/friends/requests/", {}, format="json").status_code == 400

    def test_a_request_to_someone_who_asked_me_makes_us_friends(self, client_for, user: User, other_user: User) -> None:
        asked = _send(client_for(other_user), user).data["request"]
        response = _send(client_for(user), other_user)
        assert response.status_code == 200
        assert response.data["user_is_friend"] is True
        assert response.data["request"] is None
        assert _friends(user, other_user)
        assert not FriendRequest.objects.exists()
        accept = OutboxEvent.objects.get(data__event="friend_accept")
        assert accept.channels == [f"social:{other_user.id}"]
        assert accept.data["request"] == asked["id"]
        assert accept.data["user"]["id"] == str(user.id)

    def test_a_request_to_a_friend_changes_nothing(self, client_for, user: User, other_user: User) -> None:
        services.friend_request_send(from_user=other_user, to_user=user)
        services.friend_request_send(from_user=user, to_user=other_user)
        events = OutboxEvent.objects.count()
        response = _send(client_for(user), other_user)
        assert response.status_code == 200
        assert response.data["user_is_friend"] is True
        assert not FriendRequest.objects.exists()
        assert OutboxEvent.objects.count() == events

    def test_anonymous_is_401(self, anon_client: APIClient, user: User) -> None:
        request = services.friend_request_send(from_user=user, to_user=User.objects.create(username="x")).request
        for method, path in [
            ("get", "/api/friends/"),
            ("get", "/api/friends/requests/"),
            ("post", "/api/friends/requests/"),
            ("get", f"/api/friends/requests/{request.id}/"),
            ("delete", f"/api/friends/requests/{request.id}/"),
            ("post", f"/api/friends/requests/{request.id}/accept/"),
            ("post", f"/api/friends/requests/{request.id}/decline/"),
            ("get", f"/api/friends/{user.id}/"),
            ("delete", f"/api/friends/{user.id}/"),
        ]:
            assert getattr(anon_client, method)(path).status_code == 401, (method, path)


class TestLists:
    def test_incoming_and_outgoing(self, client_for, user: User, make_user) -> None:
        a, b, c = make_user(), make_user(), make_user()
        services.friend_request_send(from_user=a, to_user=user)
        services.friend_request_send(from_user=b, to_user=user)
        services.friend_request_send(from_user=user, to_user=c)
        api = client_for(user)
        incoming = api.get("/api/friends/requests/")
        assert incoming.status_code == 200
        assert incoming.data["count"] == 2
        assert [r["from_user"]["id"] for r in incoming.data["results"]] == [str(b.id), str(a.id)]
        assert api.get("/api/friends/requests/?direction=incoming").data["count"] == 2
        outgoing = api.get("/api/friends/requests/?direction=outgoing").data
        assert [r["to_user"]["id"] for r in outgoing["results"]] == [str(c.id)]
        assert api.get("/api/friends/requests/?direction=sideways").status_code == 400

    def test_friend_list_is_paginated_users(self, client_for, user: User, make_user) -> None:
        friends = [make_user(username=f"friend{i}") for i in range(3)]
        for friend in friends:
            services.friend_request_send(from_user=friend, to_user=user)
            services.friend_request_send(from_user=user, to_user=friend)
        make_user()  # a stranger
        response = client_for(user).get("/api/friends/?page_size=2")
        assert response.status_code == 200
        assert response.data["count"] == 3
        assert [u["username"] for u in response.data["results"]] == ["friend0", "friend1"]
        assert set(response.data["results"][0]) >= {"id", "username", "avatar", "is_online"}
        assert client_for(friends[0]).get("/api/friends/").data["count"] == 1

    def test_get_one_request(self, client_for, user: User, other_user: User, make_user) -> None:
        request = services.friend_request_send(from_user=user, to_user=other_user).request
        for party in (user, other_user):
            response = client_for(party).get(f"/api/friends/requests/{request.id}/")
            assert response.status_code == 200
            assert response.data["id"] == str(request.id)
        assert client_for(make_user()).get(f"/api/friends/requests/{request.id}/").status_code == 404
        assert client_for(user).get(f"/api/friends/requests/{uuid.uuid4()}/").status_code == 404


class TestAnswer:
    @pytest.fixture
    def pending(self, user: User, other_user: User) -> FriendRequest:
        """`user` asked `other_user`."""
        return services.friend_request_send(from_user=user, to_user=other_user).request

    def test_receiver_accepts(self, client_for, user: User, other_user: User, pending: FriendRequest) -> None:
        response = client_for(other_user).post(f"/api/friends/requests/{pending.id}/accept/")
        assert response.status_code == 200
        assert response.data["user_is_friend"] is True
        assert response.data["user"]["id"] == str(user.id)
        assert _friends(user, other_user)
        assert not FriendRequest.objects.exists()
        event = OutboxEvent.objects.get(data__event="friend_accept")
        assert event.channels == [f"social:{user.id}"]
        assert event.data == {
            "event": "friend_accept",
            "request": str(pending.id),
            "user": event.data["user"],
        }
        assert event.data["user"]["id"] == str(other_user.id)
        again = client_for(other_user).post(f"/api/friends/requests/{pending.id}/accept/")
        assert again.status_code == 404

    def test_sender_cannot_accept_or_decline(self, client_for, user: User, pending: FriendRequest) -> None:
        sender = client_for(user)
        assert sender.post(f"/api/friends/requests/{pending.id}/accept/").status_code == 403
        assert sender.post(f"/api/friends/requests/{pending.id}/decline/").status_code == 403
        assert FriendRequest.objects.filter(pk=pending.pk).exists()

    def test_third_party_gets_404(self, client_for, make_user, pending: FriendRequest) -> None:
        stranger = client_for(make_user())
        assert stranger.post(f"/api/friends/requests/{pending.id}/accept/").status_code == 404
        assert stranger.post(f"/api/friends/requests/{pending.id}/decline/").status_code == 404
        assert stranger.delete(f"/api/friends/requests/{pending.id}/").status_code == 404
        assert FriendRequest.objects.filter(pk=pending.pk).exists()

    def test_receiver_declines_silently(self, client_for, user: User, other_user: User, pending: FriendRequest) -> None:
        events = OutboxEvent.objects.count()
        response = client_for(other_user).post(f"/api/friends/requests/{pending.id}/decline/")
        assert response.status_code == 204
        assert not FriendRequest.objects.exists()
        assert not _friends(user, other_user)
        assert OutboxEvent.objects.count() == events
        # the sender may ask again later
        assert _send(client_for(user), other_user).status_code == 201

    def test_sender_cancels(self, client_for, user: User, other_user: User, pending: FriendRequest) -> None:
        assert client_for(other_user).delete(f"/api/friends/requests/{pending.id}/").status_code == 403
        assert client_for(user).delete(f"/api/friends/requests/{pending.id}/").status_code == 204
        assert not FriendRequest.objects.exists()
        assert client_for(user).delete(f"/api/friends/requests/{pending.id}/").status_code == 404


class TestFriendship:
    @pytest.fixture
    def befriended(self, user: User, other_user: User) -> None:
        services.friend_request_send(from_user=user, to_user=other_user)
        services.friend_request_send(from_user=other_user, to_user=user)

    def test_check(self, client_for, user: User, other_user: User, make_user, befriended) -> None:
        api = client_for(user)
        assert api.get(f"/api/friends/{other_user.id}/").data == {"user_is_friend": True}
        assert client_for(other_user).get(f"/api/friends/{user.id}/").data == {"user_is_friend": True}
        assert api.get(f"/api/friends/{make_user().id}/").data == {"user_is_friend": False}
        assert api.get(f"/api/friends/{user.id}/").data == {"user_is_friend": False}
        assert api.get(f"/api/friends/{uuid.uuid4()}/").status_code == 404

    def test_remove_is_both_ways_and_idempotent(self, client_for, user: User, other_user: User, befriended) -> None:
        api = client_for(user)
        assert api.delete(f"/api/friends/{other_user.id}/").status_code == 204
        assert not _friends(user, other_user)
        assert api.delete(f"/api/friends/{other_user.id}/").status_code == 204
        assert client_for(other_user).get(f"/api/friends/{user.id}/").data == {"user_is_friend": False}
        assert api.delete(f"/api/friends/{uuid.uuid4()}/").status_code == 404

    def test_events_only_on_social_channels(self, user: User, other_user: User, befriended) -> None:
        assert OutboxEvent.objects.count() == 2
        for event in OutboxEvent.objects.all():
            assert all(channel.startswith("social:") for channel in event.channels)
            assert str(user.id) not in event.channels and str(other_user.id) not in event.channels
