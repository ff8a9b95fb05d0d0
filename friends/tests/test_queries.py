from __future__ import annotations

import pytest

from friends import services
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def social(user: User, make_user) -> None:
    for _ in range(12):
        friend = make_user()
        services.friend_request_send(from_user=friend, to_user=user)
        services.friend_request_send(from_user=user, to_user=friend)
    for _ in range(12):
        services.friend_request_send(from_user=make_user(), to_user=user)
        services.friend_request_send(from_user=user, to_user=make_user())


@pytest.mark.parametrize("page_size", [1, 5, 12])
def test_friend_and_request_lists_are_constant_in_page_size(
    api, social, page_size: int, django_assert_max_num_queries
) -> None:
    for url in ("/api/friends/", "/api/friends/requests/", "/api/friends/requests/?direction=outgoing"):
        with django_assert_max_num_queries(3):  # auth, count, page (users joined)
            response = api.get(f"{url}{'&' if '?' in url else '?'}page_size={page_size}")
        assert len(response.data["results"]) == page_size
