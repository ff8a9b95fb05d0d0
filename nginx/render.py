#!/usr/bin/env python3
"""Render the nginx config from the templates in this folder (stdlib only, no Django needed).

    nginx/render.py run --runtime run/nginx --listen 8080 --api 127.0.0.1:8010 --centrifugo 127.0.0.1:8000 \
        --static static --media media [--web web/dist]
                                                -> run/nginx/nginx.conf (+ messenger.conf); start with
                                                   nginx -p run/nginx -c run/nginx/nginx.conf
        (--api and --centrifugo repeat for several nodes: one upstream server each)
    nginx/render.py docker [--out nginx/docker.conf]
                                                -> the server block for docker-compose (conf.d/default.conf)
"""

from __future__ import annotations

import argparse
import getpass
import grp
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIME_TYPES = ("/etc/nginx/mime.types", "/usr/local/etc/nginx/mime.types", "/usr/share/nginx/mime.types")

# In docker-compose the extra nodes of the `scaled` profile carry these names as network aliases, so one server
# line per upstream reaches every node (nginx resolves a name to all its addresses).
DOCKER = {
    "LISTEN": "8080",
    "API_SERVERS": "    server web:8000;",
    "CENTRIFUGO_SERVERS": "    server centrifugo:8000;",
    "STATIC_ROOT": "/srv/static",
    "MEDIA_ROOT": "/srv/media",
    "WEB_ROOT": "/srv/web",
}


def render(template: str, values: dict[str, str]) -> str:
    # The routes' methods (generated from Django's routes: application/allow_map.py).
    values = {"ALLOW_MAP": (HERE / "allow.map").read_text(encoding="utf-8").rstrip("\n"), **values}
    text = (HERE / template).read_text(encoding="utf-8")
    missing = set(re.findall(r"{{(\w+)}}", text)) - set(values)
    if missing:
        raise SystemExit(f"{template}: no value for {', '.join(sorted(missing))}")
    return re.sub(r"{{(\w+)}}", lambda m: values[m.group(1)], text)


def servers(addresses: list[str]) -> str:
    return "\n".join(f"    server {address};" for address in addresses)


def render_run(args: argparse.Namespace) -> Path:
    runtime = Path(args.runtime).resolve()
    runtime.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (runtime / sub).mkdir(exist_ok=True)
    server = render(
        "messenger.conf.template",
        {
            "LISTEN": args.listen,
            "API_SERVERS": servers(args.api or ["127.0.0.1:8010"]),
            "CENTRIFUGO_SERVERS": servers(args.centrifugo or ["127.0.0.1:8000"]),
            "STATIC_ROOT": str(Path(args.static).resolve()),
            "MEDIA_ROOT": str(Path(args.media).resolve()),
            "WEB_ROOT": str(Path(args.web).resolve()),
        },
    )
    (runtime / "messenger.conf").write_text(server, encoding="utf-8")
    # `user` only makes sense (and is only allowed without a warning) when the master runs as root: then the
    # workers keep the caller's identity, so they read the same files the caller's Django wrote.
    user = ""
    if os.geteuid() == 0:
        user = f"user {getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name};"
    mime = next((path for path in MIME_TYPES if os.path.exists(path)), None)
    if mime is None:
        (runtime / "mime.types").write_text(
            "types {\n text/html html; text/css css; application/javascript js; application/json json;\n"
            " image/png png; image/jpeg jpg jpeg; image/gif gif; image/webp webp; image/svg+xml svg;\n"
            " audio/ogg ogg oga opus; audio/webm weba; video/webm webm; audio/mpeg mp3; application/pdf pdf;\n}\n"
        )
        mime = str(runtime / "mime.types")
    main = render(
        "main.conf.template",
        {"USER": user, "WORKERS": str(args.workers), "RUNTIME": str(runtime), "MIME_TYPES": mime},
    )
    out = runtime / "nginx.conf"
    out.write_text(main, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="a self-contained nginx.conf for make run and the tests")
    run.add_argument("--runtime", required=True, help="directory for the rendered config, pid, logs, temp files")
    run.add_argument("--listen", default="8080", help="nginx `listen` value (default 8080 = all interfaces)")
    run.add_argument("--api", action="append", help="a gunicorn address (repeat for several; 127.0.0.1:8010)")
    run.add_argument("--centrifugo", action="append", help="a Centrifugo client address (repeat; 127.0.0.1:8000)")
    run.add_argument("--static", default="static", help="STATIC_ROOT")
    run.add_argument("--media", default="media", help="MEDIA_ROOT")
    run.add_argument("--web", default=str(HERE.parent / "web" / "dist"), help="the built web client (web/dist)")
    run.add_argument("--workers", default="auto")
    docker = commands.add_parser("docker", help="the server block docker-compose mounts into conf.d")
    docker.add_argument("--out", default=str(HERE / "docker.conf"))
    args = parser.parse_args()
    if args.command == "run":
        print(render_run(args))
    else:
        Path(args.out).write_text(render("messenger.conf.template", DOCKER), encoding="utf-8")
        print(args.out)


if __name__ == "__main__":
    main()
