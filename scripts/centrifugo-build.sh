#!/usr/bin/env bash
# Builds (once) and locates the Centrifugo server binary. Prints its absolute path on stdout; logs go to stderr.
#
#   scripts/centrifugo-build.sh            -> path of the binary (building it when no cached copy exists)
#
# Order of preference:
#   1. $CENTRIFUGO_BIN, when set (an existing binary you provide; nothing is built);
#   2. a cached v6.9.1 (.cache/bin/ of the repo, then ${XDG_CACHE_HOME:-~/.cache}/messenger/);
#   3. a fresh build of github.com/centrifugal/centrifugo/v6@v6.9.1 through a throwaway Go module;
#   4. FALLBACK, with a loud warning: the same for v5.4.9 (see docs/realtime.md, "Which Centrifugo").
# The generated config follows the binary (`manage.py centrifugo_config` asks `centrifugo version`), so the
# rest of the stack does not care which one was found. A failed v6 build is remembered for a day
# (.cache/bin/centrifugo-6.9.1.failed); CENTRIFUGO_REBUILD=1 retries at once.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PRIMARY=${CENTRIFUGO_VERSION:-6.9.1}
FALLBACK=5.4.9
REPO_BIN=$PWD/.cache/bin
USER_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/messenger
mkdir -p "$REPO_BIN" "$USER_CACHE" 2>/dev/null || true

if [ -n "${CENTRIFUGO_BIN:-}" ]; then
  [ -x "$CENTRIFUGO_BIN" ] || die "CENTRIFUGO_BIN=$CENTRIFUGO_BIN is not an executable"
  echo "$CENTRIFUGO_BIN"
  exit 0
fi

# use VERSION: make .cache/bin/centrifugo point at the cached binary of that version and print its path.
use() {
  ln -sfn "centrifugo-$1" "$REPO_BIN/centrifugo"
  echo "$REPO_BIN/centrifugo-$1"
}

# cached VERSION: is a working binary of that version in one of the caches? (copies it into the repo cache)
cached() {
  local v=$1
  if [ -x "$REPO_BIN/centrifugo-$v" ] && "$REPO_BIN/centrifugo-$v" version >/dev/null 2>&1; then return 0; fi
  if [ -x "$USER_CACHE/centrifugo-$v" ] && "$USER_CACHE/centrifugo-$v" version >/dev/null 2>&1; then
    cp -f "$USER_CACHE/centrifugo-$v" "$REPO_BIN/centrifugo-$v"
    return 0
  fi
  return 1
}

# build VERSION: go get + go build in a throwaway module (gets past `go install`'s @v/list deprecation check).
build() {
  local v=$1 major=${1%%.*} work
  command -v go >/dev/null 2>&1 || { warn "Go is not installed: cannot build Centrifugo $v"; return 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/centrifugo-build.XXXXXX")
  log "building Centrifugo v$v with $(go version | cut -d' ' -f3) (a few minutes, once)"
  if (
    cd "$work" &&
      export GOFLAGS=-mod=mod &&
      go mod init centrifugo-build >/dev/null 2>&1 &&
      timeout 900 go get "github.com/centrifugal/centrifugo/v$major@v$v" &&
      timeout 1800 go build -trimpath \
        -ldflags "-s -w -X github.com/centrifugal/centrifugo/v$major/internal/build.Version=$v" \
        -o "$work/centrifugo" "github.com/centrifugal/centrifugo/v$major"
  ) >"$work/build.log" 2>&1; then
    install -m 755 "$work/centrifugo" "$USER_CACHE/centrifugo-$v" 2>/dev/null || true
    install -m 755 "$work/centrifugo" "$REPO_BIN/centrifugo-$v"
    rm -rf "$work"
    log "built $("$REPO_BIN/centrifugo-$v" version)"
    return 0
  fi
  warn "building Centrifugo v$v failed; the end of the log ($work/build.log):"
  tail -n 8 "$work/build.log" | sed 's/^/    /' >&2
  return 1
}

if cached "$PRIMARY"; then use "$PRIMARY"; exit 0; fi

# One build at a time (parallel `make test` runs share the caches).
exec 9>"$REPO_BIN/.build.lock"
if ! flock -n 9; then
  log "another Centrifugo build is running; waiting for it"
  flock 9
fi
if cached "$PRIMARY"; then use "$PRIMARY"; exit 0; fi

stamp=$REPO_BIN/centrifugo-$PRIMARY.failed
if [ -n "${CENTRIFUGO_REBUILD:-}" ] || [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
  if build "$PRIMARY"; then rm -f "$stamp"; use "$PRIMARY"; exit 0; fi
  date -u +%FT%TZ >"$stamp"
fi

if [ "$PRIMARY" != "$FALLBACK" ] && { cached "$FALLBACK" || build "$FALLBACK"; }; then
  warn "================================================================================"
  warn "Centrifugo v$PRIMARY could not be built here (its pinned dependency"
  warn "github.com/centrifugal/centrifuge is not served by the Go module proxy)."
  warn "USING THE FALLBACK Centrifugo v$FALLBACK: the config is generated with v5 option names."
  warn "docker-compose uses the official centrifugo/centrifugo:v$PRIMARY image. See docs/realtime.md."
  warn "Retry with CENTRIFUGO_REBUILD=1, or point CENTRIFUGO_BIN at a v6 binary."
  warn "================================================================================"
  use "$FALLBACK"
  exit 0
fi
die "no Centrifugo binary: neither v$PRIMARY nor v$FALLBACK could be built (set CENTRIFUGO_BIN)"
