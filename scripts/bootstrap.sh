#!/usr/bin/env bash
# Create .venv and install the locked dependencies (idempotent; re-run when requirements.lock changes).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || apt_install python3 python3-venv || die "python3 is required"
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PYTHON" -m venv .venv 2>/dev/null || { apt_install python3-venv && "$PYTHON" -m venv .venv; }
fi
stamp=.venv/.requirements.lock.sha
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing Python dependencies"
  .venv/bin/python -m pip install -q --disable-pip-version-check uv
  .venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock
  echo "$want" > "$stamp"
fi
