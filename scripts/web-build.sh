#!/usr/bin/env bash
# Build the web client (web/) into web/dist, which nginx serves at `/` — only when its sources changed.
#   scripts/web-build.sh            make run: a client that cannot be built is a warning (the API still runs)
#   scripts/web-build.sh --required make test: the browser tests need it
# A hash of the lockfile, the build config and every source file is kept in .cache/web-build.hash: an unchanged
# client costs one hash (well under a second). `npm ci` runs only when package-lock.json changed; it needs the npm
# registry and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

required=""
[ "${1:-}" = "--required" ] && required=1
fail() {
  if [ -n "$required" ]; then die "$*"; fi
  warn "$*"
  warn "the web client is not served at / (the API, Swagger and the admin work)"
  exit 0
}

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'
}
if ! node_ok; then
  apt_install nodejs npm || true
  node_ok || fail "Node.js >= 18 with npm is needed to build the web client"
fi

mkdir -p .cache
sources=$(
  cd web
  find package.json package-lock.json tsconfig.json vite.config.ts index.html src public -type f -print0 |
    sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
)
stamp=.cache/web-build.hash
if [ -f web/dist/index.html ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sources" ]; then
  exit 0
fi

lock=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ "$(cat web/node_modules/.lock.sha256 2>/dev/null)" != "$lock" ]; then
  log "web client: npm ci"
  (cd web && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in web/"
  echo "$lock" > web/node_modules/.lock.sha256
fi
log "web client: building web/dist"
(cd web && npm run --silent build -- --logLevel warn) || fail "the web client did not build (npm run build in web/)"
echo "$sources" > "$stamp"
