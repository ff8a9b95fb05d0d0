"""POST /api/centrifugo/connect/ and /subscribe/: every body SPA clients send, and who may get what."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jwt
import pytest
from django.conf import settings

from centrifugo import tokens

CONNECT = "/api/centrifugo/connect/"
SUBSCRIBE = "/api/centrifugo/subscribe/"


def claims(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    token = response.json()["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    return jwt.decode(token, settings.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY, algorithms=["HS256"])


@pytest.mark.parametrize("body", [None, {}, {"client": "abc"}, {"ctx": {}}])
def test_connect_token(api: Any, user: Any, body: Any) -> None:
    payload = claims(api.post(CONNECT, body, format="json"))
    assert payload["sub"] == str(user.id)
    assert "channel" not in payload  # Centrifugo rejects a channel claim in connection tokens
    assert payload["exp"] - payload["iat"] == settings.CONSTANTS.CENTRIFUGO_TOKEN_LIFETIME.total_seconds() == 3600


def test_subscribe_token_for_own_channel_by_default(api: Any, user: Any) -> None:
    for response in (api.post(SUBSCRIBE), api.post(SUBSCRIBE, {}, format="json")):
        payload = claims(response)
        assert payload == {"sub": str(user.id), "channel": str(user.id), "iat": payload["iat"], "exp": payload["exp"]}
        assert payload["exp"] - payload["iat"] == 3600


@pytest.mark.parametrize("channel_of", [tokens.personal_channel, tokens.chats_channel, tokens.social_channel])
@pytest.mark.parametrize("shape", ["sdk", "ctx", "form", "text/plain"])
def test_subscribe_token_body_shapes(api: Any, user: Any, channel_of: Any, shape: str) -> None:
    channel = channel_of(user.id)
    if shape == "sdk":
        response = api.post(SUBSCRIBE, {"client": "5b0c6a9e-client", "channel": channel}, format="json")
    elif shape == "ctx":
        response = api.post(SUBSCRIBE, {"ctx": {"client": "x", "channel": channel}}, format="json")
    elif shape == "form":
        response = api.post(SUBSCRIBE, {"channel": channel}, format="multipart")
    else:  # fetch() with a string body and no Content-Type header
        response = api.post(SUBSCRIBE, json.dumps({"channel": channel}), content_type="text/plain;charset=UTF-8")
    payload = claims(response)
    assert payload["sub"] == str(user.id)
    assert payload["channel"] == channel


def test_subscribe_unparseable_text_body_means_own_channel(api: Any, user: Any) -> None:
    assert claims(api.post(SUBSCRIBE, "not json", content_type="text/plain"))["channel"] == str(user.id)


@pytest.mark.parametrize(
    "channel_for",
    [
        lambda other: str(other.id),
        lambda other: f"chats:{other.id}",
        lambda other: f"social:{other.id}",
        lambda other: "news",
        lambda other: "chats:",
        lambda other: "$private",
    ],
)
def test_subscribe_to_a_channel_that_is_not_yours_is_403(api: Any, other_user: Any, channel_for: Any) -> None:
    response = api.post(SUBSCRIBE, {"client": "x", "channel": channel_for(other_user)}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_chat_channel_is_granted_to_its_members_only(client_for: Any, make_user: Any) -> None:
    from chats.tests.helpers import group

    creator, member, outsider = make_user(), make_user(), make_user()
    chat = group(creator, member)
    channel = f"chat:{chat.pk}"
    for user in (creator, member):
        payload = claims(client_for(user).post(SUBSCRIBE, {"client": "x", "channel": channel}, format="json"))
        assert (payload["sub"], payload["channel"]) == (str(user.id), channel)
        # Granted by membership: short-lived, so a member who leaves is dropped soon (no new token).
        assert payload["exp"] - payload["iat"] == settings.CONSTANTS.CENTRIFUGO_GRANT_TOKEN_LIFETIME.total_seconds()
    for refused in (channel, f"chat:{uuid.uuid4()}", "chat:not-a-uuid", f"chat:{member.pk}", f"chat:{chat.pk}:x"):
        response = client_for(outsider).post(SUBSCRIBE, {"client": "x", "channel": refused}, format="json")
        assert response.status_code == 403, refused
    # Who left gets no new token (centrifuge-js asks for one before the current one expires).
    from chats.services import chat_leave

    chat_leave(actor=member, chat_id=chat.pk)
    assert client_for(member).post(SUBSCRIBE, {"channel": channel}, format="json").status_code == 403


def test_subscribe_with_a_non_string_channel_is_400(api: Any) -> None:
    response = api.post(SUBSCRIBE, {"channel": {"a": 1}}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("path", [CONNECT, SUBSCRIBE])
def test_unauthenticated_is_401(anon_client: Any, path: str) -> None:
    response = anon_client.post(path, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", [CONNECT, SUBSCRIBE])
def test_bad_token_is_401(anon_client: Any, path: str) -> None:
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    assert anon_client.post(path).status_code == 401


def test_missing_trailing_slash_works(api: Any) -> None:
    assert api.post(CONNECT.rstrip("/")).status_code == 200


def test_endpoints_are_in_the_openapi_schema(anon_client: Any) -> None:
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    for path in (CONNECT, SUBSCRIBE):
        operation = paths[path]["post"]
        assert "CentrifugoToken" in json.dumps(operation["responses"]["200"])
        assert {"401"} <= set(operation["responses"])
    assert "403" in paths[SUBSCRIBE]["post"]["responses"]
