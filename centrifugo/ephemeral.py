"""Ephemeral events (typing): published straight to Centrifugo's HTTP API from the request, without the outbox and
without history (`skip_history`), because they are worthless a few seconds later — a client that missed one must
not receive it on recovery, and nothing is lost by dropping one when Centrifugo is down.

Durable events go through `centrifugo.outbox` instead (docs/realtime.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from cent import BroadcastRequest
from cent.exceptions import CentError
from django.conf import settings

from centrifugo.api_session import CentrifugoAPI

logger = logging.getLogger("centrifugo.ephemeral")
_local = threading.local()


def api() -> CentrifugoAPI:
    """This thread's kept-alive client (KeepAliveSession is one connection: not shared between threads), made
    again when the settings change (tests point it at their own server)."""
    key = (settings.CENTRIFUGO_API_URL, settings.CENTRIFUGO_API_KEY)
    api: CentrifugoAPI | None = getattr(_local, "api", None)
    if api is None or getattr(_local, "key", None) != key:
        if api is not None:
            api.close()
        api = _local.api = CentrifugoAPI(key[0], key[1], timeout=settings.CENTRIFUGO_EPHEMERAL_TIMEOUT)
        _local.key = key
    return api


def broadcast(channels: Iterable[str], data: dict[str, Any]) -> bool:
    """Publish `data` to every channel now, kept in no history. False (and a log line) when Centrifugo could not
    take it: the event is dropped, as ephemeral events may be."""
    channels = sorted(set(channels))
    if not channels:
        return True
    try:
        result = api().send(BroadcastRequest(channels=channels, data=data, skip_history=True))
    except CentError as exc:
        logger.warning("ephemeral %s event dropped: %s", data.get("event"), exc)
        return False
    failed = [response.error for response in result.responses if response.error]
    if failed:
        logger.warning("ephemeral %s event refused for %d channel(s): %s", data.get("event"), len(failed), failed[0])
    return not failed
