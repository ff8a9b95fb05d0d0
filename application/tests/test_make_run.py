"""`make run` (scripts/run.sh) restarts a crashed Centrifugo or relay by itself, and docker-compose is told to.

The whole stack is started as a developer starts it (its own PostgreSQL cluster, Redis, Centrifugo, the relay,
gunicorn, nginx) on free ports, with its state in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 240.0  # seconds: a first migration on two busy cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Stack:
    proc: subprocess.Popen
    run: Path
    ports: dict[str, int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['HTTP_PORT']}"

    def pid(self, name: str) -> int:
        return int((self.run / f"{name}.pid").read_text().strip())

    def log(self) -> str:
        return "".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.run.glob("*.log")))


def wait_until(condition, timeout: float, what: str, stack: Stack) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert stack.proc.poll() is None, f"make run exited ({stack.proc.returncode}):\n{stack.log()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{stack.log()}"
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    state = Path(tempfile.mkdtemp(prefix="messenger-run-"))
    state.chmod(0o755)  # the PostgreSQL server runs as `postgres` when the tests run as root
    ports = {
        name: free_port()
        for name in (
            "HTTP_PORT",
            "GUNICORN_PORT",
            "CENTRIFUGO_PORT",
            "CENTRIFUGO_INTERNAL_PORT",
            "REDIS_PORT",
            "PG_PORT",
        )
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CACHE_", "CENTRIFUGO_", "MEDIA_", "STATIC_", "DJANGO_"))
    }
    env |= {name: str(port) for name, port in ports.items()}
    env |= {
        "RUN_DIR": str(state / "run"),
        "PG_DATA_DIR": str(state / "postgres"),
        "MEDIA_ROOT": str(state / "media"),
        "STATIC_ROOT": str(state / "static"),
        "GUNICORN_WORKERS": "1",
    }
    proc = subprocess.Popen(
        ["scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(state / "make-run.log").open("wb"),
        start_new_session=True,  # its own process group: torn down whole if the test fails
    )
    running = Stack(proc, state / "run", ports)
    try:
        wait_until(lambda: answers(f"{running.url}/api/schema/?format=json"), STARTUP, "make run", running)
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as a developer stops it
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        subprocess.run(["scripts/postgres.sh", "stop", str(state / "postgres")], cwd=ROOT, timeout=60, check=False)
        shutil.rmtree(state, ignore_errors=True)


@pytest.mark.parametrize("name", ["centrifugo", "relay"])
def test_make_run_restarts_a_crashed_process(stack: Stack, name: str) -> None:
    before = stack.pid(name)
    os.kill(before, signal.SIGKILL)
    wait_until(lambda: stack.pid(name) != before and alive(stack.pid(name)), 30, f"{name} to restart", stack)
    if name == "centrifugo":
        health = f"http://127.0.0.1:{stack.ports['CENTRIFUGO_INTERNAL_PORT']}/health"
        wait_until(lambda: answers(health), 30, "Centrifugo to answer again", stack)
    else:
        log = stack.run / "relay.log"
        wait_until(lambda: log.read_text().count("relay started") >= 2, 60, "the relay to start again", stack)
    assert stack.proc.poll() is None  # `make run` itself went on


def test_ctrl_c_stops_everything(stack: Stack) -> None:
    pids = [stack.pid("centrifugo"), stack.pid("relay")]
    stack.proc.send_signal(signal.SIGINT)
    assert stack.proc.wait(60) == 130
    for pid in pids:
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(pid)
    assert not answers(f"{stack.url}/api/schema/?format=json")


def test_docker_compose_restarts_them_too() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("centrifugo", "relay", "web", "redis", "db"):
        assert services[name]["restart"] == "unless-stopped", name
