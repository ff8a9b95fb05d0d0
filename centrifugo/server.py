"""The Centrifugo (v6) server side of the project: finding the binary, its version, and its generated config.

The config is generated (never hand-written) from the same settings/environment as Django, so the HMAC secret,
the API key and the allowed origins cannot drift apart. `manage.py centrifugo_config` writes it (docs/realtime.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from centrifugo.events import FAMILIES

UUID_REGEX = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def find_binary() -> str | None:
    """$CENTRIFUGO_BIN, the build cache of scripts/centrifugo-build.sh, or `centrifugo` on PATH."""
    candidates = [os.environ.get("CENTRIFUGO_BIN"), str(settings.BASE_DIR / ".cache" / "bin" / "centrifugo")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return str(Path(candidate).resolve())
    return shutil.which("centrifugo")


def binary_version(binary: str) -> str:
    """The version a Centrifugo binary reports (`0.0.0` for a build without the version ldflags)."""
    out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"v?(\d+\.\d+\.\d+)", out)
    return match.group(1) if match else "0.0.0"


@dataclass
class ServerOptions:
    """Where Centrifugo listens and what it trusts; defaults come from settings (i.e. the environment)."""

    address: str = "127.0.0.1"
    port: int = 8000
    internal_port: int | None = 8001
    redis_url: str = ""
    log_level: str = "info"
    hmac_secret_key: str = ""
    api_key: str = ""
    allowed_origins: list[str] = field(default_factory=list)
    history_size: int = 0
    history_ttl_seconds: int = 0

    @classmethod
    def from_settings(cls, **overrides: Any) -> ServerOptions:
        options = cls(
            address=os.environ.get("CENTRIFUGO_ADDRESS", "127.0.0.1"),
            port=int(os.environ.get("CENTRIFUGO_PORT", "8000")),
            internal_port=int(os.environ.get("CENTRIFUGO_INTERNAL_PORT", "8001")) or None,
            redis_url=settings.CENTRIFUGO_REDIS_URL,
            log_level=os.environ.get("CENTRIFUGO_LOG_LEVEL", "info"),
            hmac_secret_key=settings.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY,
            api_key=settings.CENTRIFUGO_API_KEY,
            allowed_origins=list(settings.CENTRIFUGO_ALLOWED_ORIGINS),
            history_size=settings.CONSTANTS.CENTRIFUGO_HISTORY_SIZE,
            history_ttl_seconds=int(settings.CONSTANTS.CENTRIFUGO_HISTORY_TTL.total_seconds()),
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(options, name, value)
        return options


def _channel_options(options: ServerOptions) -> dict[str, Any]:
    # history_size and history_ttl go together; force_recovery needs both. Clients never publish (only the
    # backend, through the HTTP API) and every subscription needs a token from /api/centrifugo/subscribe/.
    return {
        "history_size": options.history_size,
        "history_ttl": f"{options.history_ttl_seconds}s",
        "force_recovery": True,
    }


def namespaces() -> list[str]:
    """The namespaces of the channel families every app declared (complete once Django is set up)."""
    return sorted({family.namespace for family in FAMILIES.values() if family.namespace})


def build_config(options: ServerOptions) -> dict[str, Any]:
    """The Centrifugo v6 config as a dict."""
    channel = _channel_options(options)
    http_server: dict[str, Any] = {"address": options.address, "port": options.port}
    if options.internal_port:
        http_server |= {"internal_address": options.address, "internal_port": options.internal_port}
    config: dict[str, Any] = {
        "log": {"level": options.log_level},
        "http_server": http_server,
        "client": {
            "token": {"hmac_secret_key": options.hmac_secret_key},
            "allowed_origins": options.allowed_origins,
        },
        "http_api": {"key": options.api_key},
        "health": {"enabled": True},
        "channel": {
            "without_namespace": {**channel, "channel_regex": UUID_REGEX},
            # History for every namespace: enough for a client that was offline for a while to recover what it
            # missed. The namespaces are those of the declared channel families (centrifugo.events.FAMILIES).
            "namespaces": [{"name": name, **channel} for name in namespaces()],
        },
    }
    if options.redis_url:
        config["engine"] = {"type": "redis", "redis": {"address": [options.redis_url]}}
    return config
