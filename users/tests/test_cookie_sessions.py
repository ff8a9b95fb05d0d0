"""Cookie sessions: login, cookie authentication with CSRF (double submit), refresh, logout (also for Bearer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from conftest import PASSWORD
from users.models import AuthSession, User

pytestmark = pytest.mark.django_db

ACCESS = "access_token"
REFRESH = "refresh_token"


@pytest.fixture
def browser() -> APIClient:
    # A browser-like client: Django's test client skips CSRF checks unless told otherwise.
    return APIClient(enforce_csrf_checks=True)


def cookie_login(client: APIClient, user: User):
    return client.post("/api/auth/cookie/", {"username": user.username, "password": PASSWORD}, format="json")


@pytest.fixture
def logged_in(browser: APIClient, user: User) -> APIClient:
    response = cookie_login(browser, user)
    assert response.status_code == 200, response.data
    browser.csrf = response.data["csrf_token"]  # type: ignore[attr-defined]
    return browser


class TestCookieLogin:
    def test_sets_httponly_cookies_and_returns_no_tokens(self, browser: APIClient, user: User) -> None:
        response = cookie_login(browser, user)
        assert response.status_code == 200
        assert set(response.data) == {"user", "csrf_token"}
        assert response.data["user"]["id"] == str(user.id)
        assert "email" in response.data["user"]  # the user sees themself
        access, refresh = response.cookies[ACCESS], response.cookies[REFRESH]
        assert access["httponly"] and refresh["httponly"]
        assert access["samesite"] == refresh["samesite"] == "Lax"
        assert access["path"] == "/api/"
        assert refresh["path"] == "/api/auth/"
        assert int(refresh["max-age"]) > int(access["max-age"]) > 0
        csrf = response.cookies[settings.CSRF_COOKIE_NAME]
        assert not csrf["httponly"]  # readable by the page: it is the double-submit token
        assert AccessToken(access.value)["user_id"] == str(user.id)

    def test_logging_in_again_replaces_the_browsers_session(self, logged_in: APIClient, user: User) -> None:
        assert cookie_login(logged_in, user).status_code == 200
        assert AuthSession.objects.filter(user=user).count() == 1
        assert logged_in.get("/api/user/current/").status_code == 200

    def test_cookies_are_secure_outside_debug(self, browser: APIClient, user: User, settings) -> None:
        settings.AUTH_COOKIE_SECURE = True
        response = cookie_login(browser, user)
        assert response.cookies[ACCESS]["secure"] and response.cookies[REFRESH]["secure"]

    def test_login_by_email_and_wrong_password(self, browser: APIClient, make_user) -> None:
        make_user(email="gina@example.com")
        ok = browser.post("/api/auth/cookie/", {"email": "GINA@example.com", "password": PASSWORD}, format="json")
        assert ok.status_code == 200
        bad = APIClient().post("/api/auth/cookie/", {"email": "gina@example.com", "password": "x"}, format="json")
        assert bad.status_code == 401
        assert bad.data["code"] == "no_active_account"
        assert ACCESS not in bad.cookies or bad.cookies[ACCESS].value == ""


class TestCookieAuthentication:
    def test_safe_requests_need_no_csrf_token(self, logged_in: APIClient, user: User) -> None:
        response = logged_in.get("/api/user/current/")
        assert response.status_code == 200
        assert response.data["id"] == str(user.id)

    def test_unsafe_request_without_csrf_token_is_403(self, logged_in: APIClient, user: User) -> None:
        response = logged_in.patch(f"/api/user/{user.id}/", {"status": "hacked"}, format="json")
        assert response.status_code == 403
        assert response.data["code"] == "csrf_failed"
        user.refresh_from_db()
        assert user.status == ""

    def test_unsafe_request_with_a_wrong_csrf_token_is_403(self, logged_in: APIClient, user: User) -> None:
        response = logged_in.patch(f"/api/user/{user.id}/", {"status": "x"}, format="json", HTTP_X_CSRFTOKEN="a" * 32)
        assert response.status_code == 403

    def test_unsafe_request_with_the_csrf_token_passes(self, logged_in: APIClient, user: User) -> None:
        response = logged_in.patch(
            f"/api/user/{user.id}/", {"status": "busy"}, format="json", HTTP_X_CSRFTOKEN=logged_in.csrf
        )
        assert response.status_code == 200, response.data
        assert response.data["status"] == "busy"

    def test_double_submit_with_the_raw_cookie_value(self, logged_in: APIClient, user: User) -> None:
        # what a page that reads document.cookie sends: the cookie's own value
        cookie = logged_in.cookies[settings.CSRF_COOKIE_NAME].value
        response = logged_in.patch(f"/api/user/{user.id}/", {"status": "x"}, format="json", HTTP_X_CSRFTOKEN=cookie)
        assert response.status_code == 200

    def test_csrf_token_without_its_cookie_is_403(self, logged_in: APIClient, user: User) -> None:
        token = logged_in.csrf
        del logged_in.cookies[settings.CSRF_COOKIE_NAME]
        response = logged_in.patch(f"/api/user/{user.id}/", {"status": "x"}, format="json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 403

    def test_foreign_origin_is_403_even_with_the_token(self, logged_in: APIClient, user: User) -> None:
        response = logged_in.patch(
            f"/api/user/{user.id}/",
            {"status": "x"},
            format="json",
            HTTP_X_CSRFTOKEN=logged_in.csrf,
            HTTP_ORIGIN="https://evil.example",
        )
        assert response.status_code == 403

    def test_bearer_requests_need_no_csrf_token(self, browser: APIClient, user: User, client_for) -> None:
        bearer = client_for(user)
        bearer.handler.enforce_csrf_checks = True
        response = bearer.patch(f"/api/user/{user.id}/", {"status": "via bearer"}, format="json")
        assert response.status_code == 200

    def test_bearer_header_wins_over_the_cookie(self, logged_in: APIClient) -> None:
        logged_in.credentials(HTTP_AUTHORIZATION="Bearer garbage")
        assert logged_in.get("/api/user/current/").status_code == 401

    def test_forged_cookie_is_401(self, browser: APIClient, user: User) -> None:
        token = AccessToken()
        token["user_id"] = str(user.id)
        forged = str(token)[:-4] + "abcd"
        browser.cookies[ACCESS] = forged
        assert browser.get("/api/user/current/").status_code == 401
        browser.cookies[ACCESS] = "not-a-jwt"
        assert browser.get("/api/user/current/").status_code == 401

    def test_token_signed_with_another_key_is_401(self, browser: APIClient, user: User) -> None:
        import jwt

        session = AuthSession.objects.create(user=user, expires_at=timezone.now() + timedelta(hours=1))
        now = timezone.now()
        claims = {
            "token_type": "access",
            "user_id": str(user.id),
            "sid": str(session.id),
            "gen": 1,
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            "jti": "x",
        }
        browser.cookies[ACCESS] = jwt.encode(claims, "another-key-that-is-long-enough-for-hs256!", algorithm="HS256")
        assert browser.get("/api/user/current/").status_code == 401

    def test_expired_cookie_is_401(self, logged_in: APIClient, user: User) -> None:
        token = AccessToken(logged_in.cookies[ACCESS].value)
        token.set_exp(lifetime=-timedelta(seconds=1))
        logged_in.cookies[ACCESS] = str(token)
        response = logged_in.get("/api/user/current/")
        assert response.status_code == 401
        assert response.data["code"] == "token_not_valid"

    def test_refresh_cookie_is_not_an_access_token(self, logged_in: APIClient) -> None:
        logged_in.cookies[ACCESS] = logged_in.cookies[REFRESH].value
        assert logged_in.get("/api/user/current/").status_code == 401

    def test_cookie_authentication_costs_one_query(self, logged_in: APIClient, django_assert_num_queries) -> None:
        logged_in.get("/api/user/current/")
        with django_assert_num_queries(1):
            assert logged_in.get("/api/user/current/").status_code == 200


class TestCookieRefresh:
    def test_rotates_the_cookies_and_revokes_the_old_tokens(self, logged_in: APIClient) -> None:
        old_access, old_refresh = logged_in.cookies[ACCESS].value, logged_in.cookies[REFRESH].value
        response = logged_in.post("/api/auth/cookie/refresh/", HTTP_X_CSRFTOKEN=logged_in.csrf)
        assert response.status_code == 200, response.data
        assert set(response.data) == {"csrf_token"}
        assert response.cookies[ACCESS].value not in ("", old_access)
        assert logged_in.get("/api/user/current/").status_code == 200

        stale = APIClient()
        stale.cookies[ACCESS] = old_access
        assert stale.get("/api/user/current/").status_code == 401
        again = APIClient(enforce_csrf_checks=True)
        again.cookies[REFRESH] = old_refresh
        again.cookies[settings.CSRF_COOKIE_NAME] = logged_in.cookies[settings.CSRF_COOKIE_NAME].value
        response = again.post("/api/auth/cookie/refresh/", HTTP_X_CSRFTOKEN=logged_in.csrf)
        assert response.status_code == 401
        assert response.cookies[REFRESH].value == ""  # a dead cookie is cleared

    def test_needs_the_csrf_token(self, logged_in: APIClient) -> None:
        response = logged_in.post("/api/auth/cookie/refresh/")
        assert response.status_code == 403
        assert response.data["code"] == "csrf_failed"

    def test_without_a_cookie_is_401(self, browser: APIClient) -> None:
        assert browser.post("/api/auth/cookie/refresh/").status_code == 401

    def test_forged_refresh_cookie_is_401(self, logged_in: APIClient) -> None:
        logged_in.cookies[REFRESH] = logged_in.cookies[REFRESH].value[:-3] + "xyz"
        response = logged_in.post("/api/auth/cookie/refresh/", HTTP_X_CSRFTOKEN=logged_in.csrf)
        assert response.status_code == 401

    def test_contract_refresh_endpoint_is_unchanged(self, anon_client: APIClient) -> None:
        assert anon_client.post("/api/auth/refresh/", {}, format="json").status_code == 400


class TestLogout:
    def test_cookie_logout_revokes_and_clears(self, logged_in: APIClient, user: User) -> None:
        old_access, old_refresh = logged_in.cookies[ACCESS].value, logged_in.cookies[REFRESH].value
        response = logged_in.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=logged_in.csrf)
        assert response.status_code == 204
        assert response.cookies[ACCESS].value == "" and response.cookies[REFRESH].value == ""
        assert response.cookies[REFRESH]["path"] == "/api/auth/"
        assert not AuthSession.objects.filter(user=user).exists()

        replay = APIClient()
        replay.cookies[ACCESS] = old_access
        refused = replay.get("/api/user/current/")
        assert refused.status_code == 401
        assert refused.data["code"] == "token_not_valid"
        replay = APIClient()
        replay.credentials(HTTP_AUTHORIZATION=f"Bearer {old_access}")
        assert replay.get("/api/user/current/").status_code == 401
        assert APIClient().post("/api/auth/refresh/", {"refresh": old_refresh}, format="json").status_code == 401

    def test_cookie_logout_needs_the_csrf_token(self, logged_in: APIClient, user: User) -> None:
        response = logged_in.post("/api/auth/logout/")
        assert response.status_code == 403
        assert AuthSession.objects.filter(user=user).exists()

    def test_cookie_logout_with_only_the_access_cookie(self, logged_in: APIClient, user: User) -> None:
        del logged_in.cookies[REFRESH]
        assert logged_in.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=logged_in.csrf).status_code == 204
        assert not AuthSession.objects.filter(user=user).exists()

    def test_logout_with_expired_cookies_still_clears_them(self, logged_in: APIClient) -> None:
        logged_in.cookies[REFRESH] = "expired-or-garbage"
        response = logged_in.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=logged_in.csrf)
        assert response.status_code == 204
        assert response.cookies[ACCESS].value == ""

    def test_bearer_logout_by_refresh_token(self, api: APIClient, user: User) -> None:
        tokens = api.tokens
        response = APIClient().post("/api/auth/logout/", {"refresh": tokens.refresh}, format="json")
        assert response.status_code == 204
        assert api.get("/api/user/current/").status_code == 401
        assert APIClient().post("/api/auth/refresh/", {"refresh": tokens.refresh}, format="json").status_code == 401
        # idempotent: the session is gone already
        assert APIClient().post("/api/auth/logout/", {"refresh": tokens.refresh}, format="json").status_code == 204

    def test_bearer_logout_by_access_token(self, api: APIClient, user: User) -> None:
        refresh = api.tokens.refresh
        assert api.post("/api/auth/logout/").status_code == 204
        assert api.get("/api/user/current/").status_code == 401
        assert APIClient().post("/api/auth/refresh/", {"refresh": refresh}, format="json").status_code == 401

    def test_logout_ends_only_that_session(self, client_for, user: User) -> None:
        laptop, phone = client_for(user), client_for(user)
        assert laptop.post("/api/auth/logout/").status_code == 204
        assert phone.get("/api/user/current/").status_code == 200

    def test_logout_refuses_bad_input(self, anon_client: APIClient, api: APIClient) -> None:
        assert anon_client.post("/api/auth/logout/").status_code == 401
        assert anon_client.post("/api/auth/logout/", {"refresh": "garbage"}, format="json").status_code == 401
        assert anon_client.post("/api/auth/logout/", {"refresh": api.tokens.access}, format="json").status_code == 401
        anon_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
        assert anon_client.post("/api/auth/logout/").status_code == 401
        assert api.get("/api/user/current/").status_code == 200  # nothing was revoked
