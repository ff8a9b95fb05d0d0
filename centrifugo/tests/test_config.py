"""The generated Centrifugo v6 config: option names, values from settings, `centrifugo checkconfig --strict`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from centrifugo.management.commands.centrifugo_config import check_config
from centrifugo.server import ServerOptions, binary_version, build_config


@pytest.fixture
def options() -> ServerOptions:
    return ServerOptions.from_settings(port=18000, internal_port=18001, redis_url="redis://127.0.0.1:6390")


def test_v6_option_names(options: ServerOptions) -> None:
    config = build_config(options)
    assert config["client"]["token"]["hmac_secret_key"] == settings.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY
    assert config["client"]["allowed_origins"] == settings.CENTRIFUGO_ALLOWED_ORIGINS
    assert config["http_api"]["key"] == settings.CENTRIFUGO_API_KEY
    assert config["http_server"] == {
        "address": "127.0.0.1",
        "port": 18000,
        "internal_address": "127.0.0.1",
        "internal_port": 18001,
    }
    assert config["engine"] == {"type": "redis", "redis": {"address": ["redis://127.0.0.1:6390"]}}
    personal = config["channel"]["without_namespace"]
    assert personal["history_size"] == settings.CONSTANTS.CENTRIFUGO_HISTORY_SIZE
    assert personal["history_ttl"] == f"{int(settings.CONSTANTS.CENTRIFUGO_HISTORY_TTL.total_seconds())}s"
    assert personal["force_recovery"] is True
    assert "allow_subscribe_for_client" not in personal  # personal channels need a subscription token
    assert [ns["name"] for ns in config["channel"]["namespaces"]] == ["chat", "chats", "social"]
    assert all(ns["force_recovery"] and ns["history_size"] for ns in config["channel"]["namespaces"])
    # No v5 names at the top level (v6 would ignore them silently; checkconfig --strict refuses them).
    assert not {"token_hmac_secret_key", "api_key", "allowed_origins", "port", "redis_address"} & set(config)


def test_memory_engine_without_redis() -> None:
    options = ServerOptions.from_settings(redis_url="")
    assert "engine" not in build_config(options)


def test_allowed_origins_come_from_the_environment(settings: Any) -> None:
    settings.CENTRIFUGO_ALLOWED_ORIGINS = ["https://a.example", "http://localhost:5173"]
    config = build_config(ServerOptions.from_settings())
    assert config["client"]["allowed_origins"] == ["https://a.example", "http://localhost:5173"]


def test_command_writes_a_config_the_binary_accepts(centrifugo_binary: str, tmp_path: Path) -> None:
    out = tmp_path / "centrifugo.json"
    call_command("centrifugo_config", "--out", str(out), "--binary", centrifugo_binary, "--check", "--port", "18123")
    config = json.loads(out.read_text())
    assert config["http_server"]["port"] == 18123
    assert out.stat().st_mode & 0o077 == 0  # it holds secrets


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6390/0"])
def test_generated_config_passes_strict_checkconfig(centrifugo_binary: str, tmp_path: Path, redis_url: str) -> None:
    path = tmp_path / "centrifugo.json"
    path.write_text(json.dumps(build_config(ServerOptions.from_settings(redis_url=redis_url))))
    result = subprocess.run(
        [centrifugo_binary, "checkconfig", "-c", str(path), "--strict"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "broken",
    [
        "{not json",
        # a v5 name: v6 would ignore it silently; --strict refuses unknown keys
        json.dumps({"token_hmac_secret_key": "x"}),
    ],
)
def test_checkconfig_rejects_a_broken_config(centrifugo_binary: str, tmp_path: Path, broken: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(broken)
    with pytest.raises(CommandError, match="checkconfig failed"):
        check_config(centrifugo_binary, path)


def test_the_suite_runs_centrifugo_6_9_1(centrifugo_binary: str) -> None:
    assert binary_version(centrifugo_binary) == "6.9.1"
