"""Write the Centrifugo config generated from the environment (the same variables Django reads).

    manage.py centrifugo_config --out run/centrifugo.json [--binary PATH] [--port 8000 ...] [--check]

Centrifugo v6 option names. With --check the written file is validated with `centrifugo checkconfig --strict`
(which also rejects unknown keys).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from centrifugo.server import ServerOptions, build_config, find_binary


class Command(BaseCommand):
    help = "Generate the Centrifugo config (JSON) from the environment"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default="-", help="file to write (default: stdout)")
        parser.add_argument("--binary", help="Centrifugo binary for --check (default: the build cache or PATH)")
        parser.add_argument("--address", help="listen address (default $CENTRIFUGO_ADDRESS or 127.0.0.1)")
        parser.add_argument("--port", type=int, help="client port (default $CENTRIFUGO_PORT or 8000)")
        parser.add_argument(
            "--internal-port", type=int, help="API/health port (default $CENTRIFUGO_INTERNAL_PORT or 8001; 0: same)"
        )
        parser.add_argument("--redis-url", help="Redis engine address (default $CENTRIFUGO_REDIS_URL; empty: memory)")
        parser.add_argument("--log-level", help="debug, info, warn, error (default $CENTRIFUGO_LOG_LEVEL or info)")
        parser.add_argument("--check", action="store_true", help="validate the result with `centrifugo checkconfig`")
        parser.add_argument("--mode", default="600", help="file mode, octal (default 600: it holds secrets)")

    def handle(self, *args: Any, **opts: Any) -> None:
        options = ServerOptions.from_settings(
            address=opts["address"],
            port=opts["port"],
            internal_port=opts["internal_port"],
            redis_url=opts["redis_url"],
            log_level=opts["log_level"],
        )
        if opts["internal_port"] == 0:
            options.internal_port = None
        text = json.dumps(build_config(options), indent=2) + "\n"
        if opts["out"] == "-":
            sys.stdout.write(text)
            return
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        out.chmod(int(opts["mode"], 8))  # it holds the HMAC secret and the API key
        if opts["check"]:
            binary = opts["binary"] or find_binary()
            if not binary:
                raise CommandError("--check needs a Centrifugo binary (scripts/centrifugo-build.sh)")
            check_config(binary, out)
        self.stderr.write(f"wrote {out}")


def check_config(binary: str, path: Path) -> None:
    """`centrifugo checkconfig --strict`: the file parses, its values are valid and it has no unknown keys."""
    command = [binary, "checkconfig", "-c", str(path), "--strict"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise CommandError(f"centrifugo checkconfig failed: {result.stdout}{result.stderr}")
