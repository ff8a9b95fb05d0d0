"""docker-compose.yml cannot run here (no Docker engine), so these tests keep it in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _commands(service: dict) -> list[str]:
    command = service.get("command", "")
    return [command] if isinstance(command, str) else [" ".join(command)]


def test_every_manage_py_command_exists() -> None:
    used = {
        name
        for service in SERVICES.values()
        for command in _commands(service)
        for name in re.findall(r"manage\.py\s+([a-z_]+)", command)
    }
    assert used >= {"migrate", "centrifugo_config", "centrifugo_relay", "uploads_ensure_bucket"}
    assert used <= set(get_commands())


def test_app_environment_names_are_read_by_the_settings() -> None:
    readers = [
        *(ROOT / "application").glob("settings*.py"),
        ROOT / "application" / "s3.py",
        ROOT / "centrifugo" / "server.py",
    ]
    settings_source = "".join(path.read_text() for path in readers)
    environment = SERVICES["web"]["environment"]
    missing = [name for name in environment if f'"{name}"' not in settings_source]
    assert not missing, f"docker-compose sets variables nothing reads: {missing}"


@pytest.mark.parametrize("service", ["web", "relay", "init"])
def test_app_services_share_one_environment(service: str) -> None:
    assert SERVICES[service]["environment"] == SERVICES["web"]["environment"]


def test_mounted_files_exist() -> None:
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), source


def test_relay_reaches_the_internal_api_port_of_centrifugo() -> None:
    env = SERVICES["web"]["environment"]
    assert env["CENTRIFUGO_API_URL"] == f"http://centrifugo:{env['CENTRIFUGO_INTERNAL_PORT']}/api"
    assert "centrifugo/centrifugo:v6" in SERVICES["centrifugo"]["image"]
    assert "centrifugo_config --out /centrifugo/config.json" in _commands(SERVICES["init"])[0]


def test_image_installs_the_lock_file() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in dockerfile
