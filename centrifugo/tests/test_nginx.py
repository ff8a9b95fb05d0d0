"""nginx/ (the one origin on :8080) with a real nginx in front of the live API and Centrifugo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import transaction

from centrifugo import outbox
from centrifugo.tests.stack import ROOT, Listener

pytestmark = pytest.mark.realtime


def test_api_is_proxied_to_django(nginx_server: Any, transactional_db: None) -> None:
    response = requests.get(f"{nginx_server.url}/api/schema/?format=json", timeout=10)
    assert response.status_code == 200
    assert "/api/centrifugo/connect/" in response.json()["paths"]
    assert requests.post(f"{nginx_server.url}/api/centrifugo/connect/", timeout=10).status_code == 401


def test_body_over_10_mb_is_413_json(nginx_server: Any, transactional_db: None) -> None:
    response = requests.post(
        f"{nginx_server.url}/api/messages/",
        data=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/octet-stream", "Origin": "http://spa.example"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is too large.", "code": "request_too_large"}
    assert response.headers["Access-Control-Allow-Origin"] == "http://spa.example"


def test_media_and_static_are_served_from_disk(nginx_server: Any) -> None:
    (nginx_server.media / "avatars").mkdir(exist_ok=True)
    (nginx_server.media / "avatars" / "a.png").write_bytes(b"\x89PNG fake")
    (nginx_server.static / "app.css").write_text("body{}")
    media = requests.get(f"{nginx_server.url}/media/avatars/a.png", timeout=10)
    assert media.status_code == 200 and media.content == b"\x89PNG fake"
    assert media.headers["Content-Type"] == "image/png"
    assert media.headers["X-Content-Type-Options"] == "nosniff"
    static = requests.get(f"{nginx_server.url}/static/app.css", timeout=10)
    assert static.status_code == 200 and static.text == "body{}"
    assert requests.get(f"{nginx_server.url}/media/nope.png", timeout=10).status_code == 404


def test_unknown_paths_are_json_404(nginx_server: Any) -> None:
    response = requests.get(f"{nginx_server.url}/wp-login.php", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/connection/websocket", "/connection/websocket/"])
def test_websocket_through_nginx(
    nginx_server: Any, relay: Any, client_loop: Any, make_user: Any, path: str, live_server: Any
) -> None:
    from users.services import session_start

    user = make_user()
    listener = Listener(
        client_loop,
        f"ws://127.0.0.1:{nginx_server.port}{path}",
        nginx_server.url,  # tokens through nginx too
        session_start(user).access,
        str(user.id),
    ).start()
    try:
        with transaction.atomic():
            outbox.publish([str(user.id)], {"event": "create", "message": {"via": path}})
        assert listener.get() == {"event": "create", "message": {"via": path}}
    finally:
        listener.close()


def test_docker_conf_is_rendered_from_the_template(tmp_path: Path) -> None:
    out = tmp_path / "docker.conf"
    subprocess.run([sys.executable, str(ROOT / "nginx" / "render.py"), "docker", "--out", str(out)], check=True)
    assert out.read_text() == (ROOT / "nginx" / "docker.conf").read_text(), "run nginx/render.py docker"


def test_rendered_config_passes_nginx_t(nginx_server: Any) -> None:
    result = subprocess.run(
        ["nginx", "-t", "-p", str(nginx_server.runtime), "-c", str(nginx_server.runtime / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
