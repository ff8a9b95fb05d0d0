"""YandexID against a local fake provider: authorize URL, token and code flows, linking, failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from rest_framework.test import APIClient

from conftest import PASSWORD
from users.models import ExternalIdentity, User
from users.oauth import STATE_SALT, make_state
from users.tests import fake_yandex
from users.tests.helpers import png_bytes

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/yandex/login/"
LINK = "/api/auth/yandex/link/"


@pytest.fixture
def yandex(settings) -> Iterator[fake_yandex.FakeYandex]:
    fake = fake_yandex.FakeYandex()
    server = fake_yandex.start(fake)
    settings.YANDEX_CLIENT_ID = fake.client_id
    settings.YANDEX_CLIENT_SECRET = fake.client_secret
    settings.YANDEX_REDIRECT_URI = "https://app.example/oauth/yandex"
    settings.YANDEX_OAUTH_AUTHORIZE_URL = f"{fake.base_url}/authorize"
    settings.YANDEX_OAUTH_TOKEN_URL = f"{fake.base_url}/token"
    settings.YANDEX_INFO_URL = f"{fake.base_url}/info"
    settings.YANDEX_AVATAR_URL = f"{fake.base_url}/avatars"
    settings.YANDEX_TIMEOUT = 0.5
    yield fake
    server.shutdown()
    server.server_close()


def login(client: APIClient, **body):
    return client.post(LOGIN, body, format="json")


def tokens_user(tokens: dict) -> User:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = client.get("/api/user/current/")
    assert response.status_code == 200
    return User.objects.get(pk=response.data["id"])


class TestAuthorizeUrl:
    def test_returns_the_provider_url_with_a_signed_state(self, anon_client: APIClient, yandex) -> None:
        response = anon_client.get("/api/auth/yandex/")
        assert response.status_code == 200
        url = urlsplit(response.data["authorize_url"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{yandex.base_url}/authorize"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert query["client_id"] == yandex.client_id
        assert query["response_type"] == "code"
        assert query["redirect_uri"] == "https://app.example/oauth/yandex"
        assert query["state"] == response.data["state"]
        signing.loads(response.data["state"], salt=STATE_SALT, max_age=60)
        assert anon_client.get("/api/auth/yandex/").data["state"] != response.data["state"]

    def test_not_configured_is_404(self, anon_client: APIClient, settings) -> None:
        """A server without YandexID has no such login: a 404, not a server error."""
        settings.YANDEX_CLIENT_ID = ""
        for response in (
            anon_client.get("/api/auth/yandex/"),
            anon_client.post("/api/auth/yandex/login/", {"oauth_token": "tok"}, format="json"),
        ):
            assert response.status_code == 404
            assert response.data["code"] == "oauth_not_configured"


class TestTokenLogin:
    def test_first_login_registers_the_user(self, anon_client: APIClient, yandex, settings) -> None:
        yandex.avatars["42/abc"] = png_bytes((300, 300), "blue")
        yandex.add_user("tok", is_avatar_empty=False, default_avatar_id="42/abc")
        response = login(anon_client, oauth_token="tok")
        assert response.status_code == 201, response.data
        assert set(response.data) == {"access", "refresh"}
        user = tokens_user(response.data)
        assert (user.username, user.first_name, user.last_name) == ("alice", "Alice", "Liddell")
        assert user.email == "alice@yandex.ru"
        assert not user.has_usable_password()
        assert user.avatar and (settings.MEDIA_ROOT / user.avatar.name).exists()
        identity = ExternalIdentity.objects.get()
        assert (identity.provider, identity.uid, identity.user_id) == ("yandex", "1000", user.pk)
        info = [r for r in yandex.requests if r[1].startswith("/info")]
        assert info[0][2]["headers"]["Authorization"] == "OAuth tok"

    def test_second_login_finds_the_same_user(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok")
        first = login(anon_client, oauth_token="tok")
        yandex.add_user("tok", login="renamed", default_email="new@yandex.ru")  # the profile changed since
        second = login(anon_client, oauth_token="tok")
        assert (first.status_code, second.status_code) == (201, 200)
        assert User.objects.count() == 1
        assert tokens_user(first.data) == tokens_user(second.data)

    def test_refresh_and_logout_work_like_password_logins(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok")
        tokens = login(anon_client, oauth_token="tok").data
        fresh = anon_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
        assert fresh.status_code == 200
        assert (
            anon_client.post("/api/auth/logout/", {"refresh": fresh.data["refresh"]}, format="json").status_code == 204
        )

    def test_cookie_session_variant(self, yandex, settings) -> None:
        yandex.add_user("tok")
        browser = APIClient(enforce_csrf_checks=True)
        response = browser.post(f"{LOGIN}?cookie=on", {"oauth_token": "tok"}, format="json")
        assert response.status_code == 201
        assert set(response.data) == {"user", "csrf_token"}
        assert response.data["user"]["username"] == "alice"
        assert response.cookies["access_token"]["httponly"]
        assert browser.get("/api/user/current/").data["username"] == "alice"
        again = browser.post(f"{LOGIN}?cookie=on", {"oauth_token": "tok"}, format="json")
        assert again.status_code == 200

    def test_username_taken_gets_a_number(self, anon_client: APIClient, yandex, make_user) -> None:
        make_user(username="alice")
        make_user(username="alice2")
        yandex.add_user("tok", default_email="")
        user = tokens_user(login(anon_client, oauth_token="tok").data)
        assert user.username == "alice3"
        assert user.email is None

    def test_a_malformed_profile_email_or_a_nul_makes_an_account_without_them(
        self, anon_client: APIClient, yandex
    ) -> None:
        # A malformed e-mail was stored as the account's; one too long, or a NUL in a name, made every login a 400.
        yandex.add_user("t1", id="1", login="one", default_email="not an e-mail")
        yandex.add_user("t2", id="2", login="two", default_email="a" * 250 + "@yandex.ru")
        yandex.add_user("t3", id="3", login="th\x00ree", first_name="A\x00nn", default_email="three@yandex.ru")
        users = []
        for token in ("t1", "t2", "t3"):
            response = login(anon_client, oauth_token=token)
            assert response.status_code == 201, response.data
            users.append(tokens_user(response.data))
        assert [user.email for user in users] == [None, None, "three@yandex.ru"]
        assert (users[2].username, users[2].first_name) == ("three", "Ann")

    def test_no_avatar_when_empty_missing_or_broken(self, anon_client: APIClient, yandex) -> None:
        yandex.avatars["bad"] = b"not an image"
        yandex.add_user("t1", id="1", login="one", default_email="", is_avatar_empty=True, default_avatar_id="x")
        yandex.add_user("t2", id="2", login="two", default_email="", is_avatar_empty=False, default_avatar_id="gone")
        yandex.add_user("t3", id="3", login="three", default_email="", is_avatar_empty=False, default_avatar_id="bad")
        yandex.add_user("t4", id="4", login="four", default_email="", is_avatar_empty=False, default_avatar_id="../x")
        for token in ("t1", "t2", "t3", "t4"):
            response = login(anon_client, oauth_token=token)
            assert response.status_code == 201, response.data
            assert not tokens_user(response.data).avatar
        assert not [r for r in yandex.requests if r[1] in ("/avatars/x/islands-200", "/x/islands-200")]

    def test_invalid_token_is_401_and_creates_nobody(self, anon_client: APIClient, yandex) -> None:
        response = login(anon_client, oauth_token="forged")
        assert response.status_code == 401
        assert response.data["code"] == "oauth_token_invalid"
        assert not User.objects.exists()

    def test_token_of_another_application_is_401(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok", client_id="someone-elses-app")
        response = login(anon_client, oauth_token="tok")
        assert response.status_code == 401
        assert response.data["code"] == "oauth_token_invalid"
        assert not User.objects.exists()

    def test_deactivated_user_cannot_log_in(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok")
        user = tokens_user(login(anon_client, oauth_token="tok").data)
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert login(anon_client, oauth_token="tok").status_code == 401

    @pytest.mark.parametrize(
        "body",
        [{}, {"oauth_token": ""}, {"code": "c"}, {"oauth_token": "t", "code": "c", "state": "s"}, {"state": "s"}],
    )
    def test_bad_input_is_400(self, anon_client: APIClient, yandex, body: dict) -> None:
        response = login(anon_client, **body)
        assert response.status_code == 400
        assert response.data["code"] == "invalid"
        assert not yandex.requests


class TestCodeLogin:
    def test_code_and_state_register_the_user(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok")
        yandex.codes["the-code"] = "tok"
        state = anon_client.get("/api/auth/yandex/").data["state"]
        response = login(anon_client, code="the-code", state=state)
        assert response.status_code == 201, response.data
        assert tokens_user(response.data).username == "alice"
        token_request = next(r for r in yandex.requests if r[1] == "/token")
        assert token_request[2]["form"] == {
            "grant_type": "authorization_code",
            "code": "the-code",
            "client_id": yandex.client_id,
            "client_secret": yandex.client_secret,
            "redirect_uri": "https://app.example/oauth/yandex",
        }

    def test_used_or_unknown_code_is_400(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok")
        yandex.codes["the-code"] = "tok"
        assert login(anon_client, code="the-code", state=make_state()).status_code == 201
        response = login(anon_client, code="the-code", state=make_state())
        assert response.status_code == 400
        assert response.data["code"] == "oauth_code_invalid"

    @pytest.mark.parametrize("state", ["garbage", "forged"])
    def test_forged_state_is_400_before_calling_the_provider(self, anon_client: APIClient, yandex, state) -> None:
        if state == "forged":
            state = signing.dumps({"n": "x"}, salt="another-salt")
        yandex.add_user("tok")
        yandex.codes["the-code"] = "tok"
        response = login(anon_client, code="the-code", state=state)
        assert response.status_code == 400
        assert response.data["code"] == "oauth_state_invalid"
        assert not yandex.requests
        assert not User.objects.exists()

    def test_expired_state_is_400(self, anon_client: APIClient, yandex, settings) -> None:
        state = make_state()
        settings.YANDEX_STATE_MAX_AGE = -1
        yandex.codes["the-code"] = "tok"
        response = login(anon_client, code="the-code", state=state)
        assert response.status_code == 400
        assert response.data["code"] == "oauth_state_invalid"

    def test_wrong_client_secret_is_a_provider_error(self, anon_client: APIClient, yandex, settings) -> None:
        settings.YANDEX_CLIENT_SECRET = "wrong"
        yandex.codes["the-code"] = "tok"
        response = login(anon_client, code="the-code", state=make_state())
        assert response.status_code == 502
        assert response.data["code"] == "oauth_provider_error"


class TestProviderTrouble:
    @pytest.mark.parametrize(
        ("mode", "status", "code"),
        [
            ("down", 503, "oauth_provider_unavailable"),
            ("slow", 503, "oauth_provider_unavailable"),
            ("garbage", 502, "oauth_provider_error"),
        ],
    )
    @pytest.mark.parametrize("flow", ["token", "code"])
    def test_clear_error_and_nobody_created(self, anon_client: APIClient, yandex, mode, status, code, flow) -> None:
        yandex.add_user("tok")
        yandex.codes["the-code"] = "tok"
        yandex.mode = mode
        body = {"oauth_token": "tok"} if flow == "token" else {"code": "the-code", "state": make_state()}
        response = login(anon_client, **body)
        assert response.status_code == status, response.data
        assert response.data["code"] == code
        assert not User.objects.exists()
        assert not ExternalIdentity.objects.exists()

    def test_unreachable_provider_is_503(self, anon_client: APIClient, yandex, settings) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.YANDEX_INFO_URL = f"http://127.0.0.1:{port}/info"  # nothing listens there
        response = login(anon_client, oauth_token="tok")
        assert response.status_code == 503
        assert response.data["code"] == "oauth_provider_unavailable"
        assert not User.objects.exists()


class TestNoTakeoverAndLinking:
    def test_password_account_with_the_same_email_is_not_taken_over(
        self, anon_client: APIClient, yandex, make_user
    ) -> None:
        owner = make_user(email="Alice@Yandex.ru")
        yandex.add_user("tok")
        response = login(anon_client, oauth_token="tok")
        assert response.status_code == 409
        assert response.data["code"] == "oauth_email_in_use"
        assert User.objects.count() == 1
        assert not ExternalIdentity.objects.exists()
        owner.refresh_from_db()
        assert owner.check_password(PASSWORD)

    def test_the_owner_links_explicitly_then_logs_in_with_yandex(
        self, client_for, anon_client: APIClient, yandex, make_user
    ) -> None:
        owner = make_user(email="alice@yandex.ru")
        yandex.add_user("tok")
        response = client_for(owner).post(LINK, {"oauth_token": "tok"}, format="json")
        assert response.status_code == 200, response.data
        assert response.data["provider"] == "yandex"
        assert response.data["uid"] == "1000"
        assert client_for(owner).post(LINK, {"oauth_token": "tok"}, format="json").status_code == 200  # no-op
        second = login(anon_client, oauth_token="tok")
        assert second.status_code == 200
        assert tokens_user(second.data) == owner
        assert User.objects.count() == 1

    def test_link_with_a_code(self, client_for, yandex, user: User) -> None:
        yandex.add_user("tok")
        yandex.codes["c"] = "tok"
        response = client_for(user).post(LINK, {"code": "c", "state": make_state()}, format="json")
        assert response.status_code == 200

    def test_link_needs_a_logged_in_user(self, anon_client: APIClient, yandex) -> None:
        yandex.add_user("tok")
        assert anon_client.post(LINK, {"oauth_token": "tok"}, format="json").status_code == 401
        assert not yandex.requests

    def test_link_by_cookie_needs_the_csrf_token(self, yandex, user: User) -> None:
        yandex.add_user("tok")
        browser = APIClient(enforce_csrf_checks=True)
        csrf = browser.post("/api/auth/cookie/", {"username": user.username, "password": PASSWORD}, format="json").data[
            "csrf_token"
        ]
        assert browser.post(LINK, {"oauth_token": "tok"}, format="json").status_code == 403
        assert browser.post(LINK, {"oauth_token": "tok"}, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 200

    def test_identity_of_another_user_is_409(self, client_for, anon_client: APIClient, yandex, user: User) -> None:
        yandex.add_user("tok")
        login(anon_client, oauth_token="tok")
        response = client_for(user).post(LINK, {"oauth_token": "tok"}, format="json")
        assert response.status_code == 409
        assert response.data["code"] == "oauth_identity_in_use"

    def test_second_yandex_account_is_409(self, client_for, yandex, user: User) -> None:
        yandex.add_user("one", id="1")
        yandex.add_user("two", id="2")
        assert client_for(user).post(LINK, {"oauth_token": "one"}, format="json").status_code == 200
        response = client_for(user).post(LINK, {"oauth_token": "two"}, format="json")
        assert response.status_code == 409
        assert response.data["code"] == "oauth_already_linked"

    def test_link_with_an_invalid_token_is_401(self, client_for, yandex, user: User) -> None:
        response = client_for(user).post(LINK, {"oauth_token": "forged"}, format="json")
        assert response.status_code == 401
        assert response.data["code"] == "oauth_token_invalid"
        assert not ExternalIdentity.objects.exists()
