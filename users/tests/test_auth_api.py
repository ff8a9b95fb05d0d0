from __future__ import annotations

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from conftest import PASSWORD
from users.models import AuthSession, User
from users.tests.helpers import png_upload

pytestmark = pytest.mark.django_db

USER_FIELDS = {"id", "username", "first_name", "last_name", "bio", "avatar", "last_online_at", "is_online"}


def register(client: APIClient, fmt: str = "json", **overrides):
    body = {
        "username": "alice",
        "password": "Sup3r-secret-pass",
        "first_name": "Alice",
        "last_name": "Liddell",
        "bio": "Programmer in VK",
    }
    body.update(overrides)
    return client.post("/api/register/", body, format=fmt)


def login(client: APIClient, username: str, password: str = PASSWORD):
    return client.post("/api/auth/", {"username": username, "password": password}, format="json")


class TestRegister:
    def test_json_registration_returns_the_user(self, anon_client: APIClient) -> None:
        response = register(anon_client)
        assert response.status_code == 201, response.data
        assert set(response.data) >= USER_FIELDS
        assert response.data["username"] == "alice"
        assert response.data["avatar"] is None
        assert "password" not in response.data
        assert User.objects.get(username="alice").check_password("Sup3r-secret-pass")

    def test_multipart_registration_with_avatar(self, anon_client: APIClient) -> None:
        response = register(anon_client, fmt="multipart", avatar=png_upload())
        assert response.status_code == 201, response.data
        assert response.data["avatar"].startswith("http://")
        assert response.data["avatar"].endswith(".jpg")  # re-encoded: no transparency, so JPEG

    def test_missing_fields(self, anon_client: APIClient) -> None:
        response = anon_client.post("/api/register/", {}, format="json")
        assert response.status_code == 400
        assert set(response.data) >= {"username", "password", "detail", "code"}
        assert response.data["code"] == "invalid"

    def test_duplicate_username(self, anon_client: APIClient, user: User) -> None:
        response = register(anon_client, username=user.username)
        assert response.status_code == 400
        assert "username" in response.data

    @pytest.mark.parametrize("password", ["123", "password", "12345678901"])
    def test_weak_password(self, anon_client: APIClient, password: str) -> None:
        response = register(anon_client, password=password)
        assert response.status_code == 400
        assert "password" in response.data
        assert not User.objects.filter(username="alice").exists()

    def test_wrong_types(self, anon_client: APIClient) -> None:
        response = anon_client.post("/api/register/", {"username": ["a"], "password": {"x": 1}}, format="json")
        assert response.status_code == 400

    def test_invalid_json(self, anon_client: APIClient) -> None:
        response = anon_client.generic("POST", "/api/register/", "{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    def test_not_an_image_avatar(self, anon_client: APIClient) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        fake = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
        response = register(anon_client, fmt="multipart", avatar=fake)
        assert response.status_code == 400
        assert "avatar" in response.data

    def test_production_limits(self, anon_client: APIClient, settings) -> None:
        from application.constants import ProductionConstants

        settings.CONSTANTS = ProductionConstants()
        response = register(anon_client, username="u" * 21, bio="b" * 101)
        assert response.status_code == 400
        assert {"username", "bio"} <= set(response.data)


class TestTokens:
    def test_login_returns_a_pair(self, anon_client: APIClient, user: User) -> None:
        response = login(anon_client, user.username)
        assert response.status_code == 200
        assert set(response.data) == {"access", "refresh"}

    def test_a_password_is_taken_as_typed(self, anon_client: APIClient) -> None:
        """Spaces around a password are part of it (not trimmed into another password, or into a blank one)."""
        password = "  correct horse  "
        assert anon_client.post("/api/register/", {"username": "spaced", "password": password}).status_code == 201
        assert anon_client.post("/api/auth/", {"username": "spaced", "password": password}).status_code == 200
        assert anon_client.post("/api/auth/", {"username": "spaced", "password": password.strip()}).status_code == 401
        blank = anon_client.post("/api/auth/", {"username": "spaced", "password": "   "})
        assert (blank.status_code, blank.data["code"]) == (401, "no_active_account")

    def test_wrong_password_is_401(self, anon_client: APIClient, user: User) -> None:
        response = login(anon_client, user.username, "wrong")
        assert response.status_code == 401
        assert response.data["code"] == "no_active_account"

    def test_refresh_rotates_and_revokes_both_old_tokens(self, anon_client: APIClient, user: User) -> None:
        old = login(anon_client, user.username).data
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
        assert anon_client.get("/api/user/current/").status_code == 200

        fresh = anon_client.post("/api/auth/refresh/", {"refresh": old["refresh"]}, format="json")
        assert fresh.status_code == 200
        assert set(fresh.data) == {"access", "refresh"}

        assert anon_client.get("/api/user/current/").status_code == 401
        again = anon_client.post("/api/auth/refresh/", {"refresh": old["refresh"]}, format="json")
        assert again.status_code == 401

        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh.data['access']}")
        assert anon_client.get("/api/user/current/").status_code == 200

    def test_refresh_of_one_session_leaves_other_sessions_alone(self, anon_client: APIClient, user: User) -> None:
        laptop = login(anon_client, user.username).data
        phone = login(anon_client, user.username).data
        assert anon_client.post("/api/auth/refresh/", {"refresh": laptop["refresh"]}, format="json").status_code == 200
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {phone['access']}")
        assert anon_client.get("/api/user/current/").status_code == 200

    def test_access_token_is_not_a_refresh_token(self, anon_client: APIClient, user: User) -> None:
        tokens = login(anon_client, user.username).data
        response = anon_client.post("/api/auth/refresh/", {"refresh": tokens["access"]}, format="json")
        assert response.status_code == 401

    def test_garbage_and_missing_tokens(self, anon_client: APIClient) -> None:
        assert anon_client.post("/api/auth/refresh/", {"refresh": "garbage"}, format="json").status_code == 401
        assert anon_client.post("/api/auth/refresh/", {}, format="json").status_code == 400
        anon_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
        assert anon_client.get("/api/user/current/").status_code == 401

    @pytest.mark.parametrize(
        "claims",
        [{"sid": "abc"}, {"user_id": [1]}, {"gen": "x"}, {"sid": None}, {"exp": 2**70}],
        ids=["sid", "user_id", "gen", "no-sid", "exp"],
    )
    def test_well_signed_tokens_with_claims_we_never_issue_are_401(
        self, anon_client: APIClient, user: User, claims: dict
    ) -> None:
        # Were 400 "not a valid UUID" (refresh, logout) and 500 (an `exp` beyond the platform's dates).
        tokens = login(anon_client, user.username).data
        refresh, access = (_resigned(tokens[kind], claims) for kind in ("refresh", "access"))
        response = anon_client.post("/api/auth/refresh/", {"refresh": refresh}, format="json")
        assert (response.status_code, response.data["code"]) == (401, "token_not_valid")
        assert anon_client.post("/api/auth/logout/", {"refresh": refresh}, format="json").status_code == 401
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        response = anon_client.get("/api/user/current/")
        assert (response.status_code, response.data["code"]) == (401, "token_not_valid")
        if "gen" not in claims:  # a logout by access token reads only the user and session ids
            response = anon_client.post("/api/auth/logout/")
            assert (response.status_code, response.data["code"]) == (401, "token_not_valid")
        assert AuthSession.objects.filter(user=user).exists()

    def test_expired_session_is_refused(self, api: APIClient, user: User) -> None:
        AuthSession.objects.filter(user=user).update(expires_at=timezone.now())
        assert api.get("/api/user/current/").status_code == 401

    def test_deleting_the_user_invalidates_tokens(self, api: APIClient, user: User) -> None:
        assert api.delete(f"/api/user/{user.id}/").status_code == 204
        assert api.get("/api/user/current/").status_code == 401
        response = APIClient().post("/api/auth/refresh/", {"refresh": api.tokens.refresh}, format="json")
        assert response.status_code == 401

    def test_authentication_costs_one_query(self, api: APIClient, django_assert_num_queries) -> None:
        # the session check is part of the user lookup, and presence was written at login time
        api.get("/api/user/current/")
        with django_assert_num_queries(1):
            assert api.get("/api/user/current/").status_code == 200


def _resigned(token: str, claims: dict) -> str:
    """The token with some claims changed, signed with the server's key (as only the server could)."""
    payload = {**jwt.decode(token, options={"verify_signature": False}), **claims}
    return jwt.encode(payload, jwt_settings.SIGNING_KEY, algorithm=jwt_settings.ALGORITHM)
