from __future__ import annotations

import pytest

from friends import services
from friends.models import FriendRequest, Friendship
from posts.tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_crossing_requests_end_as_one_friendship(make_user) -> None:
    for _ in range(3):
        a, b = make_user(), make_user()
        run_concurrently(
            [
                lambda a=a, b=b: services.friend_request_send(from_user=a, to_user=b),
                lambda a=a, b=b: services.friend_request_send(from_user=b, to_user=a),
            ]
        )
        assert not FriendRequest.objects.filter(from_user__in=[a, b]).exists()
        assert Friendship.objects.filter(user=a, friend=b).exists()
        assert Friendship.objects.filter(user=b, friend=a).exists()


def test_duplicate_requests_at_once_are_one_request(make_user) -> None:
    a, b = make_user(), make_user()
    results = run_concurrently([lambda: services.friend_request_send(from_user=a, to_user=b)] * 6)
    assert sum(result.created for result in results) == 1
    assert FriendRequest.objects.filter(from_user=a, to_user=b).count() == 1
