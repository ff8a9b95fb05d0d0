"""docker-compose.yml checked without Docker: deploy/compose-check runs the Compose specification's own loader
(compose-go, what `docker compose config` runs), then checks that every mounted file, build context, Dockerfile and
env file exists. Then the project it resolves is checked against what the stack needs."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE_SERVICES = {"db", "redis", "minio", "init", "centrifugo", "web", "relay", "nginx"}
SCALED_SERVICES = BASE_SERVICES | {"web-2", "relay-2", "centrifugo-2"}


@pytest.fixture(scope="session")
def compose_check() -> str:
    built = subprocess.run(
        [ROOT / "scripts" / "compose-check-build.sh"], capture_output=True, text=True, timeout=1200, check=False
    )
    if built.returncode != 0:
        pytest.fail(f"could not build deploy/compose-check:\n{built.stderr[-3000:]}")
    return built.stdout.strip().splitlines()[-1]


def run(binary: str, *args: str, directory: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # The loader interpolates from the process environment, as `docker compose` does: only PATH and HOME here,
    # so the test run's own variables (DATABASE_URL...) cannot change the outcome.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        [binary, "-project-directory", str(directory), *args], env=env, capture_output=True, text=True, timeout=60
    )


def load(binary: str, *profiles: str) -> dict[str, Any]:
    result = run(binary, *(f"-profile={profile}" for profile in profiles))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def upstream_hosts() -> list[str]:
    """The host names nginx/docker.conf proxies to, one per upstream `server` line."""
    conf = (ROOT / "nginx" / "docker.conf").read_text()
    return re.findall(r"^\s*server\s+([\w.-]+):\d+;", conf, flags=re.MULTILINE)


def nodes_named(project: dict[str, Any], host: str) -> set[str]:
    """Services reachable under `host` on the default network: by their name or by a network alias."""
    return {
        name
        for name, service in project["services"].items()
        if name == host or host in ((service.get("networks") or {}).get("default") or {}).get("aliases", [])
    }


def test_the_default_project_resolves(compose_check: str) -> None:
    project = load(compose_check)
    assert set(project["services"]) == BASE_SERVICES
    assert set(project["volumes"]) == {"pgdata", "redisdata", "miniodata", "static", "media", "centrifugo-config"}
    assert project["services"]["web"]["build"]["context"] == str(ROOT)
    nginx_conf = [v for v in project["services"]["nginx"]["volumes"] if v["type"] == "bind"]
    assert [v["source"] for v in nginx_conf] == [str(ROOT / "nginx" / "docker.conf")]
    assert sorted(upstream_hosts()) == ["centrifugo", "web"]
    for host in upstream_hosts():
        assert nodes_named(project, host) == {host}


def test_the_scaled_profile_puts_two_api_and_two_centrifugo_nodes_behind_nginx(compose_check: str) -> None:
    project = load(compose_check, "scaled")
    services = project["services"]
    assert set(services) == SCALED_SERVICES
    assert nodes_named(project, "web") == {"web", "web-2"}
    assert nodes_named(project, "centrifugo") == {"centrifugo", "centrifugo-2"}
    # nginx starts after all four (it resolves the upstream names once, at start).
    assert {"web", "web-2", "centrifugo", "centrifugo-2"} <= set(services["nginx"]["depends_on"])
    # The second nodes are the first ones again: same image, command, config and environment.
    for first, second in (("web", "web-2"), ("relay", "relay-2"), ("centrifugo", "centrifugo-2")):
        for key in ("image", "command", "volumes", "environment"):
            assert services[second].get(key) == services[first].get(key), (second, key)
    # Both Centrifugo nodes get the one generated config, whose engine is Redis (set for `init`, which writes it).
    assert services["init"]["environment"]["CENTRIFUGO_REDIS_URL"] == "redis://redis:6379/0"
    assert services["relay-2"]["environment"]["CENTRIFUGO_API_URL"] == "http://centrifugo:8001/api"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda text: text.replace("./nginx/docker.conf", "./nginx/missing.conf"), "missing.conf does not exist"),
        (lambda text: text.replace("  centrifugo-config:\n", ""), "undefined volume centrifugo-config"),
        (lambda text: text.replace("required: false", "required: true"), ".env not found"),
        (lambda text: text.replace("  redis:\n", "  redis:\n    colour: blue\n"), "colour"),
        (lambda text: text.replace("  build: .\n", "  build: ./nowhere\n"), "nowhere does not exist"),
    ],
    ids=["bind mount", "volume", "env file", "schema", "build context"],
)
def test_the_check_fails_on_what_docker_would_fail_on(
    compose_check: str, tmp_path: Path, change: Any, error: str
) -> None:
    for name in ("Dockerfile", "nginx"):
        (tmp_path / name).symlink_to(ROOT / name)
    text = (ROOT / "docker-compose.yml").read_text()
    changed = change(text)
    assert changed != text
    (tmp_path / "docker-compose.yml").write_text(changed)
    result = run(compose_check, "-profile=scaled", directory=tmp_path)
    assert result.returncode == 1
    assert error in result.stderr, result.stderr
