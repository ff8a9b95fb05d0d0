#!/usr/bin/env bash
# `make test`: install what is missing, start a throwaway PostgreSQL on loopback, run pytest, clean up.
# Extra arguments go to pytest (e.g. `scripts/test.sh users -x`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

scripts/bootstrap.sh
scripts/services.sh ensure-test-deps
scripts/web-build.sh --required

tmp=$(mktemp -d "${TMPDIR:-/tmp}/messenger-test.XXXXXX")
chmod 755 "$tmp"
port=$(free_port)
cleanup() { scripts/postgres.sh stop "$tmp/pg" || true; rm -rf "$tmp"; }
trap cleanup EXIT
log "starting PostgreSQL on 127.0.0.1:$port"
DATABASE_URL=$(scripts/postgres.sh start "$tmp/pg" "$port")
export DATABASE_URL
export MEDIA_ROOT="$tmp/media"
export DJANGO_SETTINGS_MODULE=application.settings

set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
[ "$rc" -eq 5 ] && { warn "pytest collected no tests"; exit 1; }
exit "$rc"
