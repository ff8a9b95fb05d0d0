"""The generated Centrifugo config: option names per major version, values from settings, checkconfig."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from centrifugo.server import ServerOptions, binary_version, build_config


@pytest.fixture
def options() -> ServerOptions:
    return ServerOptions.from_settings(port=18000, internal_port=18001, redis_url="redis://127.0.0.1:6390")


def test_v6_option_names(options: ServerOptions) -> None:
    config = build_config(options, 6)
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
    assert [ns["name"] for ns in config["channel"]["namespaces"]] == ["chats", "social"]
    assert all(ns["force_recovery"] and ns["history_size"] for ns in config["channel"]["namespaces"])
    # No v5 names at the top level.
    assert not {"token_hmac_secret_key", "api_key", "allowed_origins", "port", "redis_address"} & set(config)


def test_v5_option_names(options: ServerOptions) -> None:
    config = build_config(options, 5)
    assert config["token_hmac_secret_key"] == settings.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY
    assert config["api_key"] == settings.CENTRIFUGO_API_KEY
    assert config["allowed_origins"] == settings.CENTRIFUGO_ALLOWED_ORIGINS
    assert (config["port"], config["internal_port"]) == ("18000", "18001")
    assert (config["engine"], config["redis_address"]) == ("redis", "redis://127.0.0.1:6390")
    assert config["force_recovery"] is True
    assert config["history_size"] == settings.CONSTANTS.CENTRIFUGO_HISTORY_SIZE
    assert [ns["name"] for ns in config["namespaces"]] == ["chats", "social"]


def test_memory_engine_without_redis() -> None:
    options = ServerOptions.from_settings(redis_url="")
    assert "engine" not in build_config(options, 6)
    assert "engine" not in build_config(options, 5)


def test_allowed_origins_come_from_the_environment(settings: Any) -> None:
    settings.CENTRIFUGO_ALLOWED_ORIGINS = ["https://a.example", "http://localhost:5173"]
    config = build_config(ServerOptions.from_settings(), 6)
    assert config["client"]["allowed_origins"] == ["https://a.example", "http://localhost:5173"]


def test_command_writes_a_config_the_binary_accepts(centrifugo_binary: str, tmp_path: Path) -> None:
    out = tmp_path / "centrifugo.json"
    call_command("centrifugo_config", "--out", str(out), "--binary", centrifugo_binary, "--check", "--port", "18123")
    major, _version = binary_version(centrifugo_binary)
    config = json.loads(out.read_text())
    assert (config["http_server"]["port"] if major >= 6 else int(config["port"])) == 18123
    assert out.stat().st_mode & 0o077 == 0  # it holds secrets


def test_checkconfig_rejects_a_broken_config(centrifugo_binary: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = subprocess.run([centrifugo_binary, "checkconfig", "-c", str(broken)], capture_output=True, timeout=30)
    assert result.returncode != 0


def test_binary_version(centrifugo_binary: str) -> None:
    major, version = binary_version(centrifugo_binary)
    assert major in (5, 6)
    assert version.startswith(f"{major}.") or version == "0.0.0"
