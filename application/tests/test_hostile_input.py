"""Pathological input, one class per test: always a 4xx in the API's JSON shape, never a 500, never HTML.

What a careful attacker sends next, beyond the classes a fuzzer found: deep nesting, numbers beyond 64 bits, too
many fields, unknown methods, control characters, oversized passwords, invalid encodings, the wrong JSON type, a
broken multipart body, odd media types, a hostile Host or Authorization header. The same classes through nginx
and gunicorn (URLs and headers too long, NUL in a path) are in centrifugo/tests/test_nginx.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import DataError, OperationalError
from rest_framework.test import APIClient

from chats.tests.helpers import group
from users.models import User

pytestmark = pytest.mark.django_db


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def anon(anon_client: APIClient) -> APIClient:
    anon_client.raise_request_exception = False  # a crash must come back as a response, not as an exception
    return anon_client


@pytest.fixture
def client(api: APIClient) -> APIClient:
    api.raise_request_exception = False
    return api


@pytest.fixture
def chat_id(user: User, make_user: Callable[..., User]) -> str:
    return str(group(user, make_user()).pk)


def post_json(client: APIClient, path: str, body: str | bytes, **extra: Any) -> Any:
    return client.generic("POST", path, body, content_type="application/json", **extra)


# --- nesting --------------------------------------------------------------------------------------------------

DEEP = [
    "[" * 5000 + "]" * 5000,  # beyond the decoder's own limit (the standard library's recursion: a 500 before)
    '{"a":' * 900 + "1" + "}" * 900,  # parses, but far deeper than any input of the API
    '{"username": ' + "[" * 40 + "]" * 40 + "}",
]


@pytest.mark.parametrize("body", DEEP, ids=["arrays-5000", "objects-900", "field-40"])
@pytest.mark.parametrize("path", ["/api/register/", "/api/auth/", "/api/auth/refresh/", "/api/auth/logout/"])
def test_deep_nesting_is_a_parse_error_on_public_endpoints(anon: APIClient, path: str, body: str) -> None:
    assert_error(post_json(anon, path, body), 400, "parse_error")


def test_deep_nesting_on_authenticated_endpoints(client: APIClient, chat_id: str) -> None:
    for path in ("/api/chats/", "/api/messages/", f"/api/chat/{chat_id}/members/", "/api/centrifugo/subscribe/"):
        assert_error(post_json(client, path, DEEP[0]), 400, "parse_error")
    assert_error(client.generic("PATCH", f"/api/chat/{chat_id}/", DEEP[1], content_type="application/json"), 400)


# --- numbers beyond 64 bits -----------------------------------------------------------------------------------

HUGE = "9" * 30


@pytest.mark.parametrize("param", ["offset", "limit", "page_size"])
def test_huge_paging_numbers_in_the_query(client: APIClient, chat_id: str, param: str) -> None:
    paths = [f"/api/messages/?chat={chat_id}&", "/api/chats/?"]
    if param == "page_size":
        paths += ["/api/users/?", "/api/posts/?"]
    for path in paths:
        body = assert_error(client.get(f"{path}{param}={HUGE}"), 400, "invalid")
        assert param in body


@pytest.mark.parametrize("value", ["false", "-1", "0x10", "1e3", "1.5", "٣", " 7"])
def test_paging_numbers_that_are_not_whole_numbers(client: APIClient, chat_id: str, value: str) -> None:
    assert_error(client.get("/api/chats/", {"page_size": value}), 400, "invalid")
    assert_error(client.get("/api/messages/", {"chat": chat_id, "offset": value}), 400, "invalid")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=2&limit=5", "limit"),
        ("offset=5&page=1", "offset"),
        ("limit=5&page=abc", "limit"),
        ("limit=5&page_size=-5", "page_size"),
    ],
)
def test_one_way_of_paging_per_request(client: APIClient, chat_id: str, query: str, field: str) -> None:
    """A mix would leave part of the request silently unused (`page=2&limit=5` answered page 1)."""
    for path in ("/api/users/?", "/api/chats/?", f"/api/messages/?chat={chat_id}&", "/api/posts/?"):
        body = assert_error(client.get(f"{path}{query}"), 400, "invalid")
        assert field in body, (path, body)


def test_a_cursor_does_not_go_with_page_numbers(client: APIClient, chat_id: str) -> None:
    first = client.get("/api/messages/", {"chat": chat_id, "page_size": 1}).json()
    cursor = first["next"].split("before=")[1].split("&")[0] if first["next"] else "x"
    body = assert_error(client.get("/api/messages/", {"chat": chat_id, "before": cursor, "page": 2}), 400, "invalid")
    assert "before" in body


def test_a_huge_page_number_is_the_contracts_invalid_page(client: APIClient, chat_id: str) -> None:
    assert_error(client.get("/api/chats/", {"page": HUGE}), 404, "not_found")
    assert_error(client.get("/api/messages/", {"chat": chat_id, "page": HUGE}), 404, "not_found")


def test_a_large_offset_within_64_bits_is_an_empty_page(client: APIClient, chat_id: str) -> None:
    response = client.get("/api/messages/", {"chat": chat_id, "offset": "9" * 18})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("number", [HUGE, "1e400", "-" + HUGE, "18446744073709551616"])
def test_huge_numbers_in_a_body(client: APIClient, chat_id: str, number: str) -> None:
    assert_error(post_json(client, "/api/chats/", f'{{"members": [{number}]}}'), 400)
    # where an id goes: an unknown id (404), like any malformed one, or a parse error (400) for 1e400
    response = post_json(client, "/api/messages/", f'{{"chat": {number}, "text": "x"}}')
    assert_error(response, 404 if number != "1e400" else 400)
    # where text goes: DRF's CharField takes a number as its text; never a server error
    response = post_json(client, "/api/messages/", f'{{"chat": "{chat_id}", "text": {number}}}')
    assert response.status_code in (201, 400), response.content


# --- too many fields ------------------------------------------------------------------------------------------


def test_too_many_query_parameters(client: APIClient) -> None:
    query = "&".join(f"f{i}=1" for i in range(1100))
    assert_error(client.get(f"/api/chats/?{query}"), 400, "too_many_fields")


def test_too_many_form_fields(client: APIClient, anon: APIClient) -> None:
    form = "&".join(f"f{i}=1" for i in range(1100))
    for c, path in ((client, "/api/chats/"), (anon, "/api/register/")):
        response = c.generic("POST", path, form, content_type="application/x-www-form-urlencoded")
        assert_error(response, 400, "too_many_fields")


def test_too_many_multipart_fields(anon: APIClient) -> None:
    response = anon.post("/api/register/", {f"f{i}": "1" for i in range(1100)}, format="multipart")
    assert_error(response, 400, "too_many_fields")


def test_a_huge_json_list(client: APIClient) -> None:
    members = ",".join(f'"{i}"' for i in range(50_000))
    assert_error(post_json(client, "/api/chats/", f'{{"members": [{members}]}}'), 400, "invalid")


# --- methods --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO", "CONNECT", "PUT"])
def test_unknown_methods_are_405_with_allow(client: APIClient, anon: APIClient, method: str) -> None:
    for c, path in ((client, "/api/chats/"), (anon, "/api/register/")):
        response = c.generic(method, path)
        assert_error(response, 405, "method_not_allowed")
        assert "Allow" in response


# --- control characters and invalid text ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[31m", "\x7f"])
def test_control_characters_in_query_parameters(client: APIClient, chat_id: str, value: str) -> None:
    for path, params in (
        ("/api/users/", {"search": value}),
        ("/api/chats/", {"search": value}),
        ("/api/messages/", {"chat": chat_id, "search": value}),
        ("/api/chats/", {value: "1"}),
    ):
        assert_error(client.get(path, params), 400, "invalid")


def test_nul_in_a_body_string(client: APIClient, anon: APIClient, chat_id: str) -> None:
    assert_error(post_json(client, "/api/messages/", f'{{"chat": "{chat_id}", "text": "a\\u0000b"}}'), 400)
    assert_error(post_json(anon, "/api/register/", '{"username": "a\\u0000", "password": "x-long-enough-1"}'), 400)
    assert_error(post_json(anon, "/api/auth/", '{"username": "a\\u0000", "password": "x"}'), 400)
    assert_error(post_json(client, "/api/centrifugo/subscribe/", '{"channel": "a\\u0000"}'), 400)


def test_nul_and_odd_characters_in_a_path(client: APIClient) -> None:
    for path in ("/api/chat/%00/", "/api/user/\x00/", "/api/chat/\uff11\uff12\uff13/", "/api/user/" + "a" * 5000 + "/"):
        assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    ['{"text": "\\ud800"}', '{"text": NaN}', '{"text": Infinity}', "{'text': 1}", '{"text": "x"', "\ufeff{}"],
    ids=["lone-surrogate", "nan", "infinity", "single-quotes", "truncated", "bom"],
)
def test_invalid_json(client: APIClient, body: str) -> None:
    assert_error(post_json(client, "/api/messages/", body.encode("utf-8")), 400, "parse_error")


def test_invalid_utf8(client: APIClient) -> None:
    assert_error(client.generic("POST", "/api/chats/", b'{"title": "\xff\xfe"}', content_type="application/json"), 400)
    utf16 = "{}".encode("utf-16")  # a byte-order mark and NULs: not UTF-8
    response = client.generic("POST", "/api/chats/", utf16, content_type="application/json; charset=utf-8")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("body", ["[]", '"text"', "1", "null", "true"])
def test_json_of_the_wrong_type(client: APIClient, anon: APIClient, body: str) -> None:
    assert_error(post_json(client, "/api/chats/", body), 400, "invalid")
    assert_error(post_json(anon, "/api/auth/", body), 400, "invalid")


def test_broken_multipart(anon: APIClient) -> None:
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=x"):
        response = anon.generic("POST", "/api/register/", b"--x\r\nnonsense", content_type=content_type)
        assert_error(response, 400)


def test_unsupported_media_type(client: APIClient) -> None:
    response = client.generic("POST", "/api/chats/", b"<a/>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


def test_an_unacceptable_accept_header(client: APIClient) -> None:
    assert_error(client.get("/api/chats/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


# --- passwords ------------------------------------------------------------------------------------------------


def test_a_password_over_the_maximum_is_refused_before_hashing(anon: APIClient, user: User) -> None:
    started = time.monotonic()
    body = assert_error(anon.post("/api/register/", {"username": "x1", "password": "p" * 1_000_000}), 400)
    assert "password" in body
    assert "password" in assert_error(
        anon.post("/api/auth/", {"username": user.username, "password": "p" * 10**6}), 400
    )
    assert time.monotonic() - started < 5
    assert not User.objects.filter(username="x1").exists()


def test_the_maximum_password_length_is_allowed(anon: APIClient) -> None:
    password = "Long-password-" + "x" * 114
    assert len(password) == 128
    response = anon.post("/api/register/", {"username": "maxpass", "password": password}, format="json")
    assert response.status_code == 201
    assert anon.post("/api/auth/", {"username": "maxpass", "password": password}).status_code == 200
    assert_error(anon.post("/api/register/", {"username": "over", "password": password + "y"}), 400)


def test_every_way_of_setting_a_password_has_the_maximum(user: User) -> None:
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        password_validation.validate_password("Aa1-" + "x" * 200, user)
    assert error.value.error_list[0].code == "password_too_long"


# --- headers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer a b c", "Bearer " + "x" * 20000, "Bearer \u00e9\u00e9", "Basic Zm9vOmJhcg==", "Bearer \x00"],
)
def test_malformed_authorization(anon: APIClient, authorization: str) -> None:
    response = anon.get("/api/user/current/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code)


def test_a_malformed_access_cookie(anon: APIClient) -> None:
    anon.cookies["access_token"] = "x" * 4000
    assert_error(anon.get("/api/user/current/"), 401)


def test_a_host_outside_allowed_hosts(anon: APIClient, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["localhost"]
    assert_error(anon.get("/api/user/current/", HTTP_HOST="evil.example"), 400, "bad_request")
    assert_error(anon.get("/api/user/current/", HTTP_HOST="local\x00host"), 400, "bad_request")


@pytest.mark.parametrize("length", ["-1", "abc", "99999999999999999999999"])
def test_nonsense_content_length(anon: APIClient, length: str) -> None:
    response = anon.generic("POST", "/api/auth/", b"{}", content_type="application/json", CONTENT_LENGTH=length)
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


# --- whatever still goes wrong is JSON ------------------------------------------------------------------------


def test_bad_input_that_reaches_the_database_is_a_400(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from users import selectors

    def out_of_range(**kwargs: Any) -> Any:
        raise DataError("bigint out of range")

    monkeypatch.setattr(selectors, "user_list", out_of_range)
    assert_error(client.get("/api/users/"), 400, "invalid")


def test_an_unreachable_database_is_a_503_with_retry_after(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from users import selectors

    def down(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "user_list", down)
    response = client.get("/api/users/")
    assert_error(response, 503, "service_unavailable")
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_is_json_even_with_debug(
    client: APIClient, monkeypatch: pytest.MonkeyPatch, settings: Any, debug: bool
) -> None:
    from users import selectors

    def crash(**kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    settings.DEBUG = debug
    monkeypatch.setattr(selectors, "user_list", crash)
    body = assert_error(client.get("/api/users/", HTTP_ACCEPT="text/html"), 500, "server_error")
    assert "ZeroDivisionError" not in str(body) and "Traceback" not in str(body)


@pytest.mark.parametrize("path", ["//api/users/", "///api/chat/x/", "//api/nope"])
def test_doubled_slashes_before_api_are_still_the_api(client: APIClient, settings: Any, path: str) -> None:
    """nginx merges the slashes to pick its location but passes them on; Django's HTML 404 page (DEBUG on) lists
    the URL patterns."""
    settings.DEBUG = True
    # PATH_INFO as given: the test client would read `//api/...` as a host and a path.
    assert_error(client.get("/", PATH_INFO=path), 404, "not_found")
    assert_error(client.post("/", {}, format="json", PATH_INFO=path), 404, "not_found")


def test_errors_are_json_for_a_browser_too(client: APIClient) -> None:
    # The browsable API (development) renders pages for browsers; its error pages would be HTML. The JSON that
    # replaces them is the error a JSON client gets, field errors and all.
    html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path, data in [
        ("/api/chat/00000000-0000-0000-0000-000000000000/", None),
        ("/api/chats/", {"title": "x" * 5000}),
        ("/api/messages/search/?q=%20", None),
    ]:
        send = client.get if data is None else partial(client.post, data=data)
        as_browser, as_client = send(path, HTTP_ACCEPT=html), send(path, HTTP_ACCEPT="application/json")
        assert as_client.status_code in (400, 404)
        assert assert_error(as_browser, as_client.status_code) == as_client.json()
    anonymous = APIClient()
    body = assert_error(anonymous.get("/api/chats/", HTTP_ACCEPT=html), 401, "not_authenticated")
    assert body == anonymous.get("/api/chats/").json()


# --- values once accepted in silence (found by fuzzing) -------------------------------------------------------


def test_an_empty_refresh_at_logout_is_refused(client: APIClient) -> None:
    for fmt in ("json", "multipart"):
        body = assert_error(client.post("/api/auth/logout/", {"refresh": ""}, format=fmt), 400, "invalid")
        assert "refresh" in body
    assert client.get("/api/user/current/").status_code == 200  # the session was not ended


def test_a_blank_member_id_is_refused(client: APIClient) -> None:
    body = assert_error(post_json(client, "/api/chats/", '{"members": [""], "title": "x"}'), 400, "invalid")
    assert "members" in body
    # a multipart form's empty `members` field still means "no members" (the contract's clients send it)
    assert client.post("/api/chats/", {"members": "", "title": "x"}, format="multipart").status_code == 201


@pytest.mark.parametrize("fallback", ["AAA", "2", "onn"])
def test_an_unknown_fallback_value_is_refused(client: APIClient, fallback: str) -> None:
    body = assert_error(client.post(f"/api/chats/?fallback={fallback}", {"title": "x"}, format="json"), 400)
    assert "fallback" in body


def test_an_input_field_named_like_the_shape_keeps_the_shape(client: APIClient) -> None:
    body = assert_error(client.post("/api/auth/yandex/link/", {"code": ""}, format="json"), 400, "invalid")
    assert body["fields"]["code"]


@pytest.mark.parametrize("token", ["tok\u00e9n", "a b", "x" * 3000, "\U000eb326"])
def test_oauth_tokens_outside_the_oauth_alphabet(anon: APIClient, token: str, settings: Any) -> None:
    settings.YANDEX_CLIENT_ID, settings.YANDEX_CLIENT_SECRET = "id", "secret"
    body = assert_error(anon.post("/api/auth/yandex/login/", {"oauth_token": token}, format="multipart"), 400)
    assert "oauth_token" in body
