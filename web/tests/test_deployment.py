"""The web client in docker-compose (which cannot run here): a node stage builds it from the lockfile, the nginx
image serves it at / with the same server block as `make run`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def stages() -> dict[str, str]:
    parts = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]
    return {part.split("\n", 1)[0].split(" AS ")[-1].strip(): part for part in parts}


def test_the_client_is_built_from_the_lockfile_and_copied_into_nginx() -> None:
    built = stages()
    assert "npm ci" in built["web-client"] and "npm run build" in built["web-client"]
    assert "COPY --from=web-client /web/dist /srv/web" in built["nginx"]
    assert list(built)[-1] == "app", "the app image must stay the default (last) target"


def test_compose_builds_each_service_from_its_target() -> None:
    services = COMPOSE["services"]
    assert services["nginx"]["build"]["target"] == "nginx"
    assert services["web"]["build"] == "."  # the default target: the Dockerfile's last stage, `app`


def test_the_docker_server_block_serves_the_client_from_the_image() -> None:
    server = (ROOT / "nginx" / "docker.conf").read_text()
    assert "root /srv/web;" in server
    assert "try_files /index.html" in server


def test_the_build_context_leaves_local_builds_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"web/node_modules", "web/dist"} <= set(ignored)
