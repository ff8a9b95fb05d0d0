"""POST /api/auth/ (and the cookie variant) by username or e-mail, with one error for every wrong answer."""

from __future__ import annotations

from unittest import mock

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db


def post(client: APIClient, body: dict, path: str = "/api/auth/"):
    return client.post(path, body, format="json")


class TestLoginByEmailOrUsername:
    def test_by_username(self, anon_client: APIClient, make_user) -> None:
        user = make_user(email="alice@example.com")
        response = post(anon_client, {"username": user.username, "password": PASSWORD})
        assert response.status_code == 200
        assert set(response.data) == {"access", "refresh"}

    @pytest.mark.parametrize("field", ["username", "email"])
    @pytest.mark.parametrize("typed", ["alice@example.com", "Alice@Example.COM", " alice@example.com "])
    def test_by_email_in_either_field_case_insensitive(
        self, anon_client: APIClient, make_user, field: str, typed: str
    ) -> None:
        user = make_user(email="alice@example.com")
        response = post(anon_client, {field: typed, "password": PASSWORD})
        assert response.status_code == 200, response.data
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.data['access']}")
        assert anon_client.get("/api/user/current/").data["id"] == str(user.id)

    def test_the_same_401_whatever_was_wrong(self, anon_client: APIClient, make_user) -> None:
        make_user(username="bob", email="bob@example.com")
        answers = [
            post(anon_client, {"username": "bob@example.com", "password": "wrong"}),
            post(anon_client, {"email": "bob@example.com", "password": "wrong"}),
            post(anon_client, {"username": "bob", "password": "wrong"}),
            post(anon_client, {"username": "nobody@example.com", "password": PASSWORD}),
            post(anon_client, {"email": "not an email", "password": PASSWORD}),
            post(anon_client, {"username": "nobody", "password": PASSWORD}),
        ]
        assert {r.status_code for r in answers} == {401}
        assert {(r.data["code"], r.data["detail"]) for r in answers} == {
            ("no_active_account", "No active account found with the given credentials")
        }

    def test_unknown_account_costs_one_hash_like_a_wrong_password(self, anon_client: APIClient, make_user) -> None:
        from django.contrib.auth.hashers import MD5PasswordHasher

        make_user(email="frank@example.com")
        calls = []
        original = MD5PasswordHasher.encode
        with mock.patch.object(
            MD5PasswordHasher, "encode", autospec=True, side_effect=lambda *a, **k: calls.append(1) or original(*a, **k)
        ):
            assert post(anon_client, {"username": "ghost@example.com", "password": "x"}).status_code == 401
            unknown = len(calls)
            calls.clear()
            assert post(anon_client, {"username": "frank@example.com", "password": "x"}).status_code == 401
        assert unknown == len(calls) == 1

    def test_inactive_user_is_refused_by_email(self, anon_client: APIClient, make_user) -> None:
        make_user(email="gone@example.com", is_active=False)
        response = post(anon_client, {"email": "gone@example.com", "password": PASSWORD})
        assert response.status_code == 401
        assert response.data["code"] == "no_active_account"

    def test_username_match_wins_over_another_users_email(self, anon_client: APIClient, make_user) -> None:
        # usernames may contain "@": the account whose username it is logs in, not the one with that e-mail
        owner = make_user(username="carol@example.com")
        make_user(email="carol@example.com")
        response = post(anon_client, {"username": "carol@example.com", "password": PASSWORD})
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.data['access']}")
        assert anon_client.get("/api/user/current/").data["id"] == str(owner.id)

    def test_missing_identifier_or_password_is_400(self, anon_client: APIClient) -> None:
        for body in ({"password": PASSWORD}, {"username": "x"}, {"username": "", "email": "", "password": "x"}):
            response = post(anon_client, body)
            assert response.status_code == 400
            assert response.data["code"] == "invalid"

    def test_login_costs_a_constant_number_of_queries(
        self, anon_client: APIClient, make_user, django_assert_max_num_queries
    ) -> None:
        make_user(email="dave@example.com")
        # the lookup; then in one transaction (a savepoint in tests): prune expired sessions, the new session
        with django_assert_max_num_queries(5):
            assert post(anon_client, {"email": "dave@example.com", "password": PASSWORD}).status_code == 200

    def test_admin_login_accepts_the_email_too(self, make_user) -> None:
        from django.contrib.auth import authenticate

        user = make_user(email="erin@example.com")
        assert authenticate(None, username="ERIN@example.com", password=PASSWORD) == user
        assert authenticate(None, username="erin@example.com", password="nope") is None
        assert User.objects.count() == 1
