"""Likes and views under real concurrency: threads with their own PostgreSQL connections."""

from __future__ import annotations

import pytest

from posts import services
from posts.models import Post, PostLike, PostView
from posts.tests.helpers import make_post, run_concurrently
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def _fresh(post: Post) -> Post:
    return Post.objects.get(pk=post.pk)


def test_ten_users_liking_at_once_count_exactly(make_user) -> None:
    author = make_user()
    post = make_post(author)
    likers = [make_user() for _ in range(10)]
    results = run_concurrently([lambda u=u: services.post_like(post=_fresh(post), user=u) for u in likers])
    assert results == [True] * 10
    post.refresh_from_db()
    assert post.likes_count == 10 == PostLike.objects.filter(post=post).count()


def test_one_user_liking_from_many_devices_at_once_is_one_like(make_user) -> None:
    post = make_post(make_user())
    liker = make_user()
    results = run_concurrently([lambda: services.post_like(post=_fresh(post), user=liker)] * 8)
    assert sorted(results) == [False] * 7 + [True]
    post.refresh_from_db()
    assert post.likes_count == 1 == PostLike.objects.filter(post=post).count()


def test_concurrent_likes_and_unlikes_keep_the_count_exact(make_user) -> None:
    post = make_post(make_user())
    stay = [make_user() for _ in range(5)]
    leave = [make_user() for _ in range(5)]
    for user in leave:
        services.post_like(post=post, user=user)
    tasks = [lambda u=u: services.post_like(post=_fresh(post), user=u) for u in stay]
    tasks += [lambda u=u: services.post_unlike(post=_fresh(post), user=u) for u in leave]
    tasks += [lambda u=u: services.post_unlike(post=_fresh(post), user=u) for u in leave]
    run_concurrently(tasks)
    post.refresh_from_db()
    assert post.likes_count == 5 == PostLike.objects.filter(post=post).count()
    assert set(PostLike.objects.values_list("user_id", flat=True)) == {u.pk for u in stay}


def test_concurrent_views_count_once_per_user(make_user) -> None:
    post = make_post(make_user())
    viewers: list[User] = [make_user() for _ in range(4)]
    tasks = [lambda u=u: services.post_view(post=_fresh(post), user=u) for u in viewers for _ in range(3)]
    run_concurrently(tasks)
    post.refresh_from_db()
    assert post.views_count == 4 == PostView.objects.filter(post=post).count()
