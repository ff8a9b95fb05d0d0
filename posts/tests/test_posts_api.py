from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from friends.models import Friendship
from posts.models import Post, PostImage
from posts.tests.helpers import make_post
from users.models import User
from users.tests.helpers import png_upload

pytestmark = pytest.mark.django_db

USER_FIELDS = {"id", "username", "first_name", "last_name", "bio", "avatar", "last_online_at", "is_online"}
POST_FIELDS = {
    "id",
    "author",
    "description",
    "images",
    "image_details",
    "likes_count",
    "liked_by_me",
    "recent_likers",
    "views",
    "created_at",
    "updated_at",
}


def _stored(settings, url: str):
    prefix = f"{settings.PUBLIC_URL}/media/"
    assert url.startswith(prefix)
    return settings.MEDIA_ROOT / url.removeprefix(prefix)


class TestCreate:
    def test_multipart_with_images(self, api: APIClient, user: User, settings) -> None:
        response = api.post(
            "/api/posts/",
            {"description": "Summer", "images": [png_upload("a.png"), png_upload("b.png", color="blue")]},
            format="multipart",
        )
        assert response.status_code == 201, response.data
        data = response.data
        assert set(data) == POST_FIELDS
        assert set(data["author"]) == USER_FIELDS
        assert data["author"]["id"] == str(user.id)
        assert data["description"] == "Summer"
        assert len(data["images"]) == 2
        for url in data["images"]:
            assert "/posts/" in url
            assert _stored(settings, url).exists()
        assert data["likes_count"] == 0 and data["liked_by_me"] is False
        assert data["recent_likers"] == [] and data["views"] == 0
        post = Post.objects.get(pk=data["id"])
        assert [image.position for image in post.images.all()] == [0, 1]

    def test_json_description_only(self, api: APIClient) -> None:
        response = api.post("/api/posts/", {"description": "Just text"}, format="json")
        assert response.status_code == 201
        assert response.data["images"] == []

    def test_images_only(self, api: APIClient) -> None:
        response = api.post("/api/posts/", {"images": [png_upload()]}, format="multipart")
        assert response.status_code == 201
        assert response.data["description"] == ""

    def test_empty_post_is_400(self, api: APIClient) -> None:
        response = api.post("/api/posts/", {"description": "  "}, format="json")
        assert response.status_code == 400
        assert response.data["code"] == "invalid"
        assert "description" in response.data
        assert not Post.objects.exists()

    def test_too_many_images_is_400(self, api: APIClient, settings) -> None:
        settings.CONSTANTS = dataclasses.replace(django_settings.CONSTANTS, POST_MAX_IMAGES=2)
        response = api.post(
            "/api/posts/", {"description": "x", "images": [png_upload() for _ in range(3)]}, format="multipart"
        )
        assert response.status_code == 400
        assert "images" in response.data
        assert not Post.objects.exists()

    def test_not_an_image_is_400(self, api: APIClient) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
        response = api.post("/api/posts/", {"description": "x", "images": [fake]}, format="multipart")
        assert response.status_code == 400
        assert "images" in response.data
        assert not PostImage.objects.exists()

    def test_description_too_long_is_400(self, api: APIClient, settings) -> None:
        settings.CONSTANTS = dataclasses.replace(django_settings.CONSTANTS, POST_DESCRIPTION_MAX_LENGTH=5)
        response = api.post("/api/posts/", {"description": "123456"}, format="json")
        assert response.status_code == 400
        assert "description" in response.data

    def test_author_field_in_body_is_ignored(self, api: APIClient, user: User, other_user: User) -> None:
        response = api.post("/api/posts/", {"description": "x", "author": str(other_user.id)}, format="json")
        assert response.status_code == 201
        assert response.data["author"]["id"] == str(user.id)


class TestAnonymous:
    def test_every_endpoint_is_401(self, anon_client: APIClient, user: User) -> None:
        post = make_post(user)
        calls = [
            ("get", "/api/posts/"),
            ("post", "/api/posts/"),
            ("get", f"/api/post/{post.id}/"),
            ("patch", f"/api/post/{post.id}/"),
            ("delete", f"/api/post/{post.id}/"),
            ("post", f"/api/post/{post.id}/like/"),
            ("delete", f"/api/post/{post.id}/like/"),
            ("get", f"/api/post/{post.id}/likes/"),
            ("post", f"/api/post/{post.id}/view/"),
            ("get", f"/api/user/{user.id}/posts/"),
        ]
        for method, path in calls:
            response = getattr(anon_client, method)(path)
            assert response.status_code == 401, (method, path)
            assert response.json()["code"] == "not_authenticated"
        assert Post.objects.filter(pk=post.pk).exists()


class TestReadOne:
    def test_get(self, api: APIClient, other_user: User) -> None:
        post = make_post(other_user, "theirs", images=1)
        response = api.get(f"/api/post/{post.id}/")
        assert response.status_code == 200
        assert response.data["id"] == str(post.id)
        assert response.data["description"] == "theirs"
        assert len(response.data["images"]) == 1

    def test_unknown_and_malformed_are_404(self, api: APIClient) -> None:
        assert api.get(f"/api/post/{uuid.uuid4()}/").status_code == 404
        response = api.get("/api/post/nope/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_without_trailing_slash(self, api: APIClient, user: User) -> None:
        post = make_post(user)
        assert api.get(f"/api/post/{post.id}").status_code == 200


class TestEdit:
    def test_author_edits_description(self, api: APIClient, user: User) -> None:
        post = make_post(user, "old", images=1)
        response = api.patch(f"/api/post/{post.id}/", {"description": "new"}, format="json")
        assert response.status_code == 200
        assert response.data["description"] == "new"
        assert len(response.data["images"]) == 1
        assert response.data["updated_at"] > response.data["created_at"]

    def test_images_replace_old_ones_and_old_files_go_on_commit(
        self, api: APIClient, user: User, settings, django_capture_on_commit_callbacks
    ) -> None:
        post = make_post(user, "x", images=2)
        old = [settings.MEDIA_ROOT / image.file.name for image in post.images.all()]
        assert all(path.exists() for path in old)
        with django_capture_on_commit_callbacks(execute=True):
            response = api.patch(f"/api/post/{post.id}/", {"images": [png_upload("c.png")]}, format="multipart")
        assert response.status_code == 200, response.data
        assert len(response.data["images"]) == 1
        assert _stored(settings, response.data["images"][0]).exists()
        assert not any(path.exists() for path in old)
        assert response.data["description"] == "x"

    def test_json_empty_images_removes_them(self, api: APIClient, user: User) -> None:
        post = make_post(user, "x", images=1)
        response = api.patch(f"/api/post/{post.id}/", {"images": []}, format="json")
        assert response.status_code == 200
        assert response.data["images"] == []

    def test_cannot_empty_a_post(self, api: APIClient, user: User) -> None:
        post = make_post(user, "x", images=1)
        response = api.patch(f"/api/post/{post.id}/", {"images": [], "description": ""}, format="json")
        assert response.status_code == 400
        post.refresh_from_db()
        assert post.description == "x" and post.images.count() == 1
        text_only = make_post(user, "text")
        assert api.patch(f"/api/post/{text_only.id}/", {"description": ""}, format="json").status_code == 400

    def test_other_user_is_403(self, client_for, user: User, other_user: User) -> None:
        post = make_post(user, "mine")
        response = client_for(other_user).patch(f"/api/post/{post.id}/", {"description": "hacked"}, format="json")
        assert response.status_code == 403
        assert response.data["code"] == "permission_denied"
        post.refresh_from_db()
        assert post.description == "mine"

    def test_unknown_is_404(self, api: APIClient) -> None:
        assert api.patch(f"/api/post/{uuid.uuid4()}/", {"description": "x"}, format="json").status_code == 404

    def test_other_users_images_are_refused_before_they_are_decoded(
        self, client_for, user: User, other_user: User, monkeypatch
    ) -> None:
        import posts.serializers

        post = make_post(user, "mine")
        decoded = []
        monkeypatch.setattr(posts.serializers, "clean_image", lambda upload: decoded.append(upload) or upload)
        response = client_for(other_user).patch(f"/api/post/{post.id}/", {"images": [png_upload()]}, format="multipart")
        assert response.status_code == 403
        assert decoded == []


class TestDelete:
    def test_author_deletes_and_files_go_on_commit(
        self, api: APIClient, user: User, settings, django_capture_on_commit_callbacks
    ) -> None:
        post = make_post(user, images=2)
        files = [settings.MEDIA_ROOT / image.file.name for image in post.images.all()]
        with django_capture_on_commit_callbacks(execute=True):
            response = api.delete(f"/api/post/{post.id}/")
        assert response.status_code == 204
        assert not Post.objects.filter(pk=post.pk).exists()
        assert not PostImage.objects.exists()
        assert not any(path.exists() for path in files)
        assert api.get(f"/api/post/{post.id}/").status_code == 404
        assert api.delete(f"/api/post/{post.id}/").status_code == 404

    def test_other_user_is_403(self, client_for, user: User, other_user: User, settings) -> None:
        post = make_post(user, images=1)
        response = client_for(other_user).delete(f"/api/post/{post.id}/")
        assert response.status_code == 403
        assert Post.objects.filter(pk=post.pk).exists()
        assert (settings.MEDIA_ROOT / post.images.get().file.name).exists()


class TestFeed:
    def test_newest_first_with_everyone(self, api: APIClient, user: User, other_user: User) -> None:
        now = timezone.now()
        first = make_post(user, "1", created_at=now - timedelta(minutes=2))
        second = make_post(other_user, "2", created_at=now - timedelta(minutes=1))
        third = make_post(user, "3", created_at=now)
        response = api.get("/api/posts/")
        assert response.status_code == 200
        assert response.data["count"] == 3
        assert [p["id"] for p in response.data["results"]] == [str(third.id), str(second.id), str(first.id)]
        assert response.data["next"] is None and response.data["previous"] is None

    def test_author_filter(self, api: APIClient, user: User, other_user: User) -> None:
        make_post(user)
        theirs = make_post(other_user)
        response = api.get("/api/posts/", {"author": str(other_user.id)})
        assert [p["id"] for p in response.data["results"]] == [str(theirs.id)]
        assert api.get("/api/posts/", {"author": str(uuid.uuid4())}).data["results"] == []
        assert api.get("/api/posts/", {"author": "nope"}).status_code == 400

    def test_friends_filter(self, api: APIClient, user: User, other_user: User, make_user) -> None:
        stranger = make_user()
        Friendship.objects.bulk_create(
            [Friendship(user=user, friend=other_user), Friendship(user=other_user, friend=user)]
        )
        friends_post = make_post(other_user)
        make_post(stranger)
        make_post(user)
        response = api.get("/api/posts/", {"friends": "on"})
        assert response.status_code == 200
        assert [p["id"] for p in response.data["results"]] == [str(friends_post.id)]
        assert response.data["count"] == 1
        assert api.get("/api/posts/", {"friends": "off"}).data["count"] == 3

    def test_user_posts(self, api: APIClient, user: User, other_user: User) -> None:
        older = make_post(other_user, created_at=timezone.now() - timedelta(seconds=5))
        newer = make_post(other_user)
        make_post(user)
        response = api.get(f"/api/user/{other_user.id}/posts/")
        assert response.status_code == 200
        assert [p["id"] for p in response.data["results"]] == [str(newer.id), str(older.id)]
        assert api.get(f"/api/user/{uuid.uuid4()}/posts/").status_code == 404
        assert api.post(f"/api/user/{other_user.id}/posts/", {"description": "x"}).status_code == 405


class TestCursorPaging:
    def _walk(self, api: APIClient, url: str, link: str) -> list[list[str]]:
        pages = []
        while url:
            response = api.get(url)
            assert response.status_code == 200, response.data
            pages.append([p["id"] for p in response.data["results"]])
            url = response.data[link]
        return pages

    def test_next_links_walk_everything_once_and_previous_walks_back(self, api: APIClient, user: User) -> None:
        now = timezone.now()
        posts = [make_post(user, str(i), created_at=now - timedelta(seconds=i)) for i in range(7)]
        expected = [str(p.id) for p in posts]
        pages = self._walk(api, "/api/posts/?page_size=3", "next")
        assert [len(page) for page in pages] == [3, 3, 1]
        assert [post_id for page in pages for post_id in page] == expected

        last = api.get("/api/posts/?page_size=3").data
        third = api.get(api.get(last["next"]).data["next"]).data
        assert third["count"] == 7
        back = self._walk(api, third["previous"], "previous")
        assert back == [expected[3:6], expected[0:3]]

    def test_ties_on_created_at_are_broken_by_id(self, api: APIClient, user: User) -> None:
        moment = timezone.now()
        posts = [make_post(user, str(i), created_at=moment) for i in range(5)]
        pages = self._walk(api, "/api/posts/?page_size=2", "next")
        ids = [post_id for page in pages for post_id in page]
        assert sorted(ids) == sorted(str(p.id) for p in posts)
        assert ids == sorted(ids, key=lambda value: uuid.UUID(value), reverse=True)

    def test_new_posts_do_not_shift_pages(self, api: APIClient, user: User) -> None:
        now = timezone.now()
        posts = [make_post(user, str(i), created_at=now - timedelta(seconds=i)) for i in range(4)]
        first = api.get("/api/posts/?page_size=2").data
        fresh = make_post(user, "fresh")
        second = api.get(first["next"]).data
        assert [p["id"] for p in second["results"]] == [str(posts[2].id), str(posts[3].id)]
        newer = api.get(first["previous"] or f"/api/posts/?page_size=2&after={_cursor(posts[0])}").data
        assert [p["id"] for p in newer["results"]] == [str(fresh.id)]

    def test_cursor_links_keep_filters(self, api: APIClient, user: User, other_user: User) -> None:
        for i in range(3):
            make_post(other_user, str(i))
            make_post(user, str(i))
        response = api.get(f"/api/posts/?author={other_user.id}&page_size=2")
        assert f"author={other_user.id}" in response.data["next"]
        second = api.get(response.data["next"]).data
        assert len(second["results"]) == 1
        assert all(p["author"]["id"] == str(other_user.id) for p in second["results"])

    def test_bad_cursors(self, api: APIClient, user: User) -> None:
        post = make_post(user)
        assert api.get("/api/posts/?before=garbage").status_code == 404
        assert api.get("/api/posts/?before=" + "a" * 12).status_code == 404
        cursor = _cursor(post)
        assert api.get(f"/api/posts/?before={cursor}&after={cursor}").status_code == 400

    def test_page_numbers_for_contract_clients(self, api: APIClient, user: User) -> None:
        now = timezone.now()
        posts = [make_post(user, str(i), created_at=now - timedelta(seconds=i)) for i in range(5)]
        response = api.get("/api/posts/?page=2&page_size=2")
        assert response.status_code == 200
        assert response.data["count"] == 5
        assert [p["id"] for p in response.data["results"]] == [str(posts[2].id), str(posts[3].id)]
        assert "page=3" in response.data["next"] and "page_size=2" in response.data["next"]
        assert api.get("/api/posts/?page=9").status_code == 404


def _cursor(post: Post) -> str:
    from posts.selectors import FEED_CURSOR

    return FEED_CURSOR.encode(post)
