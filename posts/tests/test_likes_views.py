from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from centrifugo.models import OutboxEvent
from posts import services
from posts.models import PostLike, PostView
from posts.tests.helpers import make_post
from users.models import User

pytestmark = pytest.mark.django_db


class TestLike:
    def test_like_twice_is_one_like_and_one_event_to_the_author(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user, images=1)
        liker = client_for(other_user)
        for _ in range(2):
            response = liker.post(f"/api/post/{post.id}/like/")
            assert response.status_code == 200
            assert response.data["likes_count"] == 1
            assert response.data["liked_by_me"] is True
            assert [u["id"] for u in response.data["recent_likers"]] == [str(other_user.id)]
        assert PostLike.objects.filter(post=post).count() == 1
        events = list(OutboxEvent.objects.all())
        assert len(events) == 1
        assert events[0].channels == [f"social:{user.id}"]
        data = events[0].data
        assert data["event"] == "post_like"
        assert data["post"] == str(post.id)
        assert data["likes_count"] == 1
        assert data["user"]["id"] == str(other_user.id)
        assert data["user"]["username"] == other_user.username

    def test_author_sees_liked_by_me_false_for_others_like(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user)
        client_for(other_user).post(f"/api/post/{post.id}/like/")
        response = client_for(user).get(f"/api/post/{post.id}/")
        assert response.data["likes_count"] == 1
        assert response.data["liked_by_me"] is False

    def test_unlike_twice(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user)
        liker = client_for(other_user)
        liker.post(f"/api/post/{post.id}/like/")
        for _ in range(2):
            response = liker.delete(f"/api/post/{post.id}/like/")
            assert response.status_code == 200
            assert response.data["likes_count"] == 0
            assert response.data["liked_by_me"] is False
            assert response.data["recent_likers"] == []
        assert not PostLike.objects.exists()
        assert OutboxEvent.objects.count() == 1  # unliking publishes nothing

    def test_like_again_after_unlike(self, api: APIClient, other_user: User) -> None:
        post = make_post(other_user)
        api.post(f"/api/post/{post.id}/like/")
        api.delete(f"/api/post/{post.id}/like/")
        assert api.post(f"/api/post/{post.id}/like/").data["likes_count"] == 1
        assert OutboxEvent.objects.count() == 2

    def test_own_like_counts_without_an_event(self, api: APIClient, user: User) -> None:
        post = make_post(user)
        response = api.post(f"/api/post/{post.id}/like/")
        assert response.data["likes_count"] == 1
        assert not OutboxEvent.objects.exists()

    def test_never_published_to_the_personal_channel(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user)
        client_for(other_user).post(f"/api/post/{post.id}/like/")
        for event in OutboxEvent.objects.all():
            assert str(user.id) not in event.channels
            assert all(channel.startswith("social:") for channel in event.channels)

    def test_unknown_post_is_404(self, api: APIClient) -> None:
        assert api.post(f"/api/post/{uuid.uuid4()}/like/").status_code == 404
        assert api.delete(f"/api/post/{uuid.uuid4()}/like/").status_code == 404

    def test_recent_likers_are_the_last_three(self, client_for, user: User, make_user) -> None:
        post = make_post(user)
        likers = [make_user() for _ in range(5)]
        now = timezone.now()
        for i, liker in enumerate(likers):
            services.post_like(post=post, user=liker)
            PostLike.objects.filter(post=post, user=liker).update(created_at=now + timedelta(seconds=i))
        response = client_for(user).get(f"/api/post/{post.id}/")
        assert response.data["likes_count"] == 5
        assert [u["id"] for u in response.data["recent_likers"]] == [str(u.id) for u in likers[:1:-1]]


class TestLikers:
    def test_paginated_newest_first(self, api: APIClient, user: User, make_user) -> None:
        post = make_post(user)
        likers = [make_user() for _ in range(3)]
        now = timezone.now()
        for i, liker in enumerate(likers):
            services.post_like(post=post, user=liker)
            PostLike.objects.filter(post=post, user=liker).update(created_at=now + timedelta(seconds=i))
        response = api.get(f"/api/post/{post.id}/likes/?page_size=2")
        assert response.status_code == 200
        assert response.data["count"] == 3
        assert [u["id"] for u in response.data["results"]] == [str(likers[2].id), str(likers[1].id)]
        assert set(response.data["results"][0]) >= {"id", "username", "avatar", "is_online"}
        second = api.get(response.data["next"]).data
        assert [u["id"] for u in second["results"]] == [str(likers[0].id)]

    def test_unknown_post_is_404(self, api: APIClient) -> None:
        assert api.get(f"/api/post/{uuid.uuid4()}/likes/").status_code == 404


class TestView:
    def test_counted_once_per_user(self, client_for, user: User, other_user: User, make_user) -> None:
        post = make_post(user)
        viewer = client_for(other_user)
        for _ in range(3):
            response = viewer.post(f"/api/post/{post.id}/view/")
            assert response.status_code == 200
            assert response.data == {"views": 1}
        assert client_for(make_user()).post(f"/api/post/{post.id}/view/").data == {"views": 2}
        assert PostView.objects.filter(post=post).count() == 2
        assert viewer.get(f"/api/post/{post.id}/").data["views"] == 2

    def test_author_views_are_not_counted(self, api: APIClient, user: User) -> None:
        post = make_post(user)
        assert api.post(f"/api/post/{post.id}/view/").data == {"views": 0}
        assert not PostView.objects.exists()

    def test_reading_a_post_does_not_count_a_view(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user)
        client_for(other_user).get(f"/api/post/{post.id}/")
        assert client_for(other_user).get(f"/api/post/{post.id}/").data["views"] == 0

    def test_unknown_post_is_404(self, api: APIClient) -> None:
        assert api.post(f"/api/post/{uuid.uuid4()}/view/").status_code == 404

    def test_views_do_not_change_updated_at(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user)
        client_for(other_user).post(f"/api/post/{post.id}/view/")
        client_for(other_user).post(f"/api/post/{post.id}/like/")
        before = post.updated_at
        post.refresh_from_db()
        assert post.updated_at == before
