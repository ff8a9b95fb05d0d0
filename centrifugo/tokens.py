"""Centrifugo JWTs (HS256 with CENTRIFUGO_TOKEN_HMAC_SECRET_KEY) and the channels a user may subscribe to.

User ids are formatted the same way everywhere (`str(user.id)`, a hyphenated UUID): Centrifugo compares a
subscription token's `sub` with the connection's user byte for byte and closes the whole connection (3500) on a
mismatch.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings

# The channels (centrifugo.events.FAMILIES, docs/realtime.md):
#   "<user id>"         message events: create, update, delete, read, read_all (the contract's channel)
#   "chats:<user id>"   chat list events: chat_create, chat_update, chat_delete, member joined/left (opt-in)
#   "social:<user id>"  social features (posts, friends), opt-in
#   "chat:<chat id>"    a big group's message events (its members; declared by chats/events.py)


def personal_channel(user_id: Any) -> str:
    return str(user_id)


def chats_channel(user_id: Any) -> str:
    return f"chats:{user_id}"


def social_channel(user_id: Any) -> str:
    return f"social:{user_id}"


def _encode(claims: dict[str, Any], lifetime: timedelta | None = None) -> str:
    now = int(time.time())
    seconds = int((lifetime or settings.CONSTANTS.CENTRIFUGO_TOKEN_LIFETIME).total_seconds())
    return jwt.encode(
        {**claims, "iat": now, "exp": now + seconds}, settings.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY, algorithm="HS256"
    )


def connection_token(user_id: Any) -> str:
    """A connection JWT: `sub` only (a `channel` claim is not allowed in connection tokens)."""
    return _encode({"sub": str(user_id)})


def subscription_token(user_id: Any, channel: str, *, granted: bool = False) -> str:
    """A subscription JWT for one channel: `sub` must equal the connection's user, `channel` the channel. A
    `granted` channel (somebody else's, e.g. a chat's, allowed while the user is a member) gets a short-lived token:
    centrifuge-js asks for a new one before it expires, and a member who left gets none, so Centrifugo drops the
    subscription within CENTRIFUGO_GRANT_TOKEN_LIFETIME."""
    lifetime = settings.CONSTANTS.CENTRIFUGO_GRANT_TOKEN_LIFETIME if granted else None
    return _encode({"sub": str(user_id), "channel": channel}, lifetime)


def decode(token: str) -> dict[str, Any]:
    return jwt.decode(token, settings.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY, algorithms=["HS256"])
