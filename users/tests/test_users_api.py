from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from users.models import User
from users.tests.helpers import png_upload

pytestmark = pytest.mark.django_db


class TestCurrentAndDetail:
    def test_current_user(self, api: APIClient, user: User) -> None:
        response = api.get("/api/user/current/")
        assert response.status_code == 200
        assert response.data["id"] == str(user.id)
        assert response.data["is_online"] is True

    def test_anonymous_is_401(self, anon_client: APIClient, user: User) -> None:
        for path in ("/api/user/current/", f"/api/user/{user.id}/", "/api/users/"):
            assert anon_client.get(path).status_code == 401
        assert anon_client.head("/api/user/online/").status_code == 401

    def test_other_user_is_readable_without_private_fields(self, api: APIClient, other_user: User) -> None:
        response = api.get(f"/api/user/{other_user.id}/")
        assert response.status_code == 200
        assert response.data["username"] == other_user.username
        assert "email" not in response.data

    def test_unknown_and_malformed_ids_are_json_404(self, api: APIClient) -> None:
        import uuid

        assert api.get(f"/api/user/{uuid.uuid4()}/").status_code == 404
        response = api.get("/api/user/not-a-uuid/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_unknown_route_is_json_404(self, anon_client: APIClient) -> None:
        response = anon_client.get("/api/nowhere/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")

    def test_wrong_method_is_405(self, api: APIClient) -> None:
        response = api.post("/api/user/current/")
        assert response.status_code == 405
        assert response.data["code"] == "method_not_allowed"


class TestPatch:
    def test_patch_self_json(self, api: APIClient, user: User) -> None:
        response = api.patch(f"/api/user/{user.id}/", {"bio": "Programmer in VK", "id": "x"}, format="json")
        assert response.status_code == 200
        assert response.data["bio"] == "Programmer in VK"
        assert response.data["id"] == str(user.id)

    def test_patch_avatar_multipart_then_clear_it(
        self, api: APIClient, user: User, settings, django_capture_on_commit_callbacks
    ) -> None:
        response = api.patch(f"/api/user/{user.id}/", {"avatar": png_upload(), "bio": "x"}, format="multipart")
        assert response.status_code == 200, response.data
        user.refresh_from_db()
        stored = settings.MEDIA_ROOT / user.avatar.name
        assert stored.exists()
        assert response.data["avatar"] == f"{settings.PUBLIC_URL}/media/{user.avatar.name}"

        with django_capture_on_commit_callbacks(execute=True):
            response = api.patch(f"/api/user/{user.id}/", {"avatar": ""}, format="multipart")
        assert response.status_code == 200
        assert response.data["avatar"] is None
        assert not stored.exists()

    def test_patch_avatar_null_in_json_clears_it(self, api: APIClient, user: User) -> None:
        api.patch(f"/api/user/{user.id}/", {"avatar": png_upload()}, format="multipart")
        response = api.patch(f"/api/user/{user.id}/", {"avatar": None}, format="json")
        assert response.status_code == 200
        assert response.data["avatar"] is None

    def test_patch_without_trailing_slash_keeps_the_body(self, api: APIClient, user: User) -> None:
        response = api.patch(f"/api/user/{user.id}", {"bio": "no slash"}, format="json")
        assert response.status_code == 200
        assert response.data["bio"] == "no slash"

    def test_cannot_patch_or_delete_someone_else(self, api: APIClient, other_user: User) -> None:
        assert api.patch(f"/api/user/{other_user.id}/", {"bio": "hacked"}, format="json").status_code == 403
        assert api.delete(f"/api/user/{other_user.id}/").status_code == 403
        other_user.refresh_from_db()
        assert other_user.bio != "hacked"

    def test_duplicate_username_on_patch(self, api: APIClient, user: User, other_user: User) -> None:
        response = api.patch(f"/api/user/{user.id}/", {"username": other_user.username}, format="json")
        assert response.status_code == 400
        assert "username" in response.data


class TestPresence:
    def test_head_online_forces_presence(self, api: APIClient, user: User) -> None:
        User.objects.filter(pk=user.pk).update(last_online_at=timezone.now() - timedelta(minutes=30))
        response = api.head("/api/user/online/")
        assert response.status_code == 200
        user.refresh_from_db()
        assert timezone.now() - user.last_online_at < timedelta(seconds=5)

    def test_is_online_derives_from_last_seen(self, api: APIClient, other_user: User) -> None:
        User.objects.filter(pk=other_user.pk).update(last_online_at=timezone.now() - timedelta(minutes=6))
        assert api.get(f"/api/user/{other_user.id}/").data["is_online"] is False

    def test_requests_refresh_presence_at_most_once_a_minute(
        self, api: APIClient, user: User, django_assert_num_queries
    ) -> None:
        stale = timezone.now() - timedelta(minutes=2)
        User.objects.filter(pk=user.pk).update(last_online_at=stale)
        with django_assert_num_queries(2):  # auth + the presence write
            api.get("/api/user/current/")
        user.refresh_from_db()
        assert user.last_online_at > stale
        with django_assert_num_queries(1):  # within the minute: auth only
            api.get("/api/user/current/")


class TestDelete:
    def test_delete_self(self, api: APIClient, user: User) -> None:
        assert api.delete(f"/api/user/{user.id}/").status_code == 204
        assert not User.objects.filter(pk=user.pk).exists()


class TestList:
    def test_pagination_shape_and_search(self, api: APIClient, make_user) -> None:
        for i in range(12):
            make_user(username=f"zeta{i:02d}")
        make_user(username="other", first_name="Zetan")
        response = api.get("/api/users/", {"search": "zeta", "page_size": 5})
        assert response.status_code == 200
        assert set(response.data) == {"count", "next", "previous", "results"}
        assert response.data["count"] == 13
        assert len(response.data["results"]) == 5
        assert "page=2" in response.data["next"]
        assert response.data["previous"] is None
        last = api.get("/api/users/", {"search": "zeta", "page_size": 5, "page": 3})
        assert len(last.data["results"]) == 3
        assert last.data["next"] is None

    def test_search_by_last_name(self, api: APIClient, make_user) -> None:
        target = make_user(last_name="Rostova")
        response = api.get("/api/users/", {"search": "rostov"})
        assert [u["id"] for u in response.data["results"]] == [str(target.id)]

    def test_out_of_range_page_is_404(self, api: APIClient) -> None:
        response = api.get("/api/users/", {"page": 99})
        assert response.status_code == 404
        assert response.data["detail"] == "Invalid page."

    def test_page_size_is_capped(self, api: APIClient, make_user) -> None:
        for _ in range(105):
            make_user()
        assert len(api.get("/api/users/", {"page_size": 1000}).data["results"]) == 100

    @pytest.mark.parametrize("page_size", [1, 50, 100])
    def test_query_count_does_not_grow_with_page_size(
        self, api: APIClient, make_user, page_size: int, django_assert_max_num_queries
    ) -> None:
        for _ in range(100):
            make_user()
        api.get("/api/users/")
        with django_assert_max_num_queries(3):  # auth, count, page
            response = api.get("/api/users/", {"page_size": page_size})
        assert len(response.data["results"]) == page_size


class TestErrors:
    def test_body_over_10_mb_is_413(self, api: APIClient, user: User) -> None:
        response = api.generic(
            "POST", "/api/register/", b"x" * (10 * 1024 * 1024 + 1), content_type="application/octet-stream"
        )
        assert response.status_code == 413
        assert response.json()["code"] == "request_too_large"

    def test_russian_messages_with_lang(self, anon_client: APIClient) -> None:
        response = anon_client.get("/api/user/current/?lang=ru", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 401
        assert response.data["detail"] == "Учетные данные не были предоставлены."

    def test_english_by_default(self, anon_client: APIClient) -> None:
        response = anon_client.get("/api/user/current/")
        assert response.data["detail"] == "Authentication credentials were not provided."


@pytest.mark.django_db
def test_user_search_uses_the_trigram_indexes(make_user) -> None:
    from django.db import connection

    from users.selectors import user_list

    for _ in range(30):
        make_user()
    with connection.cursor() as cursor:
        # A tiny table would be scanned whatever the indexes: forbid scans that ignore the search condition.
        cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off")
        plan = user_list(search="rost").order_by().explain()
        cursor.execute("RESET enable_seqscan; RESET enable_indexscan")
    for column in ("username", "first_name", "last_name"):
        assert f"users_user_{column}_trgm" in plan, plan
