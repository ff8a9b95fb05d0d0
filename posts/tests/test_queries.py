"""Query budgets: a page of posts costs the same number of queries whatever its size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from friends.models import Friendship
from posts import services
from posts.tests.helpers import make_post
from users.models import User

pytestmark = pytest.mark.django_db

# authentication (1) + count (1) + page (1) + images (1) + recent likers (1)
FEED_BUDGET = 5
# a page after a cursor also asks whether a newer page exists (1)
NEXT_PAGE_BUDGET = FEED_BUDGET + 1


@pytest.fixture
def populated(make_user, user: User) -> list[User]:
    authors = [make_user() for _ in range(4)]
    likers = [make_user() for _ in range(4)]
    for author in authors:
        Friendship.objects.bulk_create([Friendship(user=user, friend=author), Friendship(user=author, friend=user)])
    for i in range(24):
        post = make_post(authors[i % 4], f"post {i}", images=2)
        for liker in likers[: i % 5]:
            services.post_like(post=post, user=liker)
        services.post_like(post=post, user=user) if i % 2 else None
    return authors


def _count(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.data
    return len(queries), response.data


@pytest.mark.parametrize("page_size", [1, 5, 20])
def test_feed_queries_are_constant_in_page_size(api, populated, page_size: int, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(FEED_BUDGET):
        response = api.get(f"/api/posts/?page_size={page_size}")
    assert len(response.data["results"]) == page_size
    assert all(len(post["images"]) == 2 for post in response.data["results"])
    with django_assert_max_num_queries(NEXT_PAGE_BUDGET):
        api.get(response.data["next"])


@pytest.mark.parametrize("page_size", [1, 5, 20])
def test_friends_feed_and_page_numbers_are_constant_in_page_size(
    api, populated, page_size: int, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(FEED_BUDGET):
        response = api.get(f"/api/posts/?friends=on&page_size={page_size}")
    assert len(response.data["results"]) == page_size
    with django_assert_max_num_queries(FEED_BUDGET):
        api.get(f"/api/posts/?page=2&page_size={page_size}")


@pytest.mark.parametrize("page_size", [1, 3, 6])
def test_user_posts_queries_are_constant_in_page_size(
    api, populated, page_size: int, django_assert_max_num_queries
) -> None:
    # + the author lookup (404 for unknown users)
    with django_assert_max_num_queries(FEED_BUDGET + 1):
        response = api.get(f"/api/user/{populated[0].id}/posts/?page_size={page_size}")
    assert len(response.data["results"]) == page_size


def test_feed_query_count_is_the_same_constant_for_every_page_size(api, populated) -> None:
    counts = {size: _count(api, f"/api/posts/?page_size={size}")[0] for size in (1, 10, 24)}
    assert len(set(counts.values())) == 1, counts
    deeper = {size: _count(api, _count(api, f"/api/posts/?page_size={size}")[1]["next"])[0] for size in (1, 10)}
    assert len(set(deeper.values())) == 1, deeper


def test_one_post_and_likers_are_constant(api, populated, django_assert_max_num_queries) -> None:
    post_id = api.get("/api/posts/?page_size=1").data["results"][0]["id"]
    with django_assert_max_num_queries(4):  # auth, post, images, recent likers
        api.get(f"/api/post/{post_id}/")
    for size in (1, 4):
        with django_assert_max_num_queries(4):  # auth, post, count, page
            api.get(f"/api/post/{post_id}/likes/?page_size={size}")
