"""Realtime access ends when the right to it does: after the change commits, Centrifugo's server API unsubscribes a
member who left (or was removed from) a big group from its channel, and disconnects a deleted user.

Tokens alone would end it later: a big group's channel is subscribed with a token that lives
CENTRIFUGO_GRANT_TOKEN_LIFETIME (5 minutes) and is not renewed for a non-member, and a connection lives until its
token expires. Best effort, like ephemeral events (same client): when Centrifugo cannot be reached, the line is
logged and the tokens' end still ends it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from cent import BatchRequest, DisconnectRequest, UnsubscribeRequest
from cent.exceptions import CentError
from django.db import transaction

from centrifugo.ephemeral import api

logger = logging.getLogger("centrifugo.access")


def unsubscribe_after_commit(user_ids: Iterable[uuid.UUID | str], channel: str) -> None:
    """Once the transaction commits, unsubscribe these users' connections from `channel` (they do not resubscribe:
    Centrifugo's server-side unsubscribe code)."""
    requests = [UnsubscribeRequest(user=str(user_id), channel=channel) for user_id in user_ids]
    if requests:
        transaction.on_commit(lambda: _send(requests, f"unsubscribe from {channel}"))


def disconnect_after_commit(user_id: uuid.UUID | str) -> None:
    """Once the transaction commits, close every connection of the user (told not to reconnect)."""
    transaction.on_commit(lambda: _send([DisconnectRequest(user=str(user_id))], "disconnect"))


def _send(requests: list[Any], what: str) -> None:
    try:
        result = api().send(BatchRequest(requests=requests))
    except CentError as exc:
        logger.warning("%s of %d user(s) not done: %s", what, len(requests), exc)
        return
    failed = [reply.error for reply in result.replies if getattr(reply, "error", None)]
    if failed:
        logger.warning("%s refused for %d user(s): %s", what, len(failed), failed[0])
