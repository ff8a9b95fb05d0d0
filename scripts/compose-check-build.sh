#!/usr/bin/env bash
# Builds (once) and locates deploy/compose-check, the Compose file validator (compose-go, the loader of
# `docker compose config`). Prints the binary's absolute path on stdout; logs go to stderr.
#
# The binary is cached under a key of its sources (go.mod, go.sum, main.go), like scripts/centrifugo-build.sh
# caches Centrifugo: in the repo's git-ignored .cache/bin/ and in ${XDG_CACHE_HOME:-~/.cache}/messenger/, so a
# fresh clone on the same machine (CI) reuses it. The first build fetches compose-go from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SRC=deploy/compose-check
REPO_BIN=$PWD/.cache/bin
USER_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/messenger
mkdir -p "$REPO_BIN" "$USER_CACHE" 2>/dev/null || true
key=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-12)
name=compose-check-$key

if [ -x "$REPO_BIN/$name" ]; then echo "$REPO_BIN/$name"; exit 0; fi
if [ -x "$USER_CACHE/$name" ]; then
  cp -f "$USER_CACHE/$name" "$REPO_BIN/$name"
  echo "$REPO_BIN/$name"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed: cannot build $SRC (it validates docker-compose.yml)"
exec 9>"$REPO_BIN/.compose-check.lock"
flock 9
if [ ! -x "$REPO_BIN/$name" ]; then
  log "building $SRC with $(go version | cut -d' ' -f3) (once)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/compose-check.XXXXXX")
  # -mod=readonly: the committed go.sum is the truth; the build never rewrites the sources.
  if ! (cd "$SRC" && GOFLAGS=-mod=readonly timeout 900 go build -trimpath -o "$work/compose-check" .) \
    >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log" >&2
    die "building $SRC failed"
  fi
  install -m 755 "$work/compose-check" "$USER_CACHE/$name" 2>/dev/null || true
  install -m 755 "$work/compose-check" "$REPO_BIN/$name"
  rm -rf "$work"
fi
echo "$REPO_BIN/$name"
