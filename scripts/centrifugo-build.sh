#!/usr/bin/env bash
# Builds (once) and locates the Centrifugo v6 server binary. Prints its absolute path on stdout; logs go to stderr.
#
#   scripts/centrifugo-build.sh            -> path of the binary (building it when no cached copy exists)
#
# Order of preference:
#   1. $CENTRIFUGO_BIN, when set (an existing v6 binary you provide; nothing is built);
#   2. a cached v6.9.1 (.cache/bin/ of the repo, then ${XDG_CACHE_HOME:-~/.cache}/messenger/);
#   3. a fresh build of github.com/centrifugal/centrifugo/v6@v6.9.1 from the Go module proxy (a few minutes, once).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

VERSION=6.9.1
REPO_BIN=$PWD/.cache/bin
USER_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/messenger
mkdir -p "$REPO_BIN" "$USER_CACHE" 2>/dev/null || true

if [ -n "${CENTRIFUGO_BIN:-}" ]; then
  [ -x "$CENTRIFUGO_BIN" ] || die "CENTRIFUGO_BIN=$CENTRIFUGO_BIN is not an executable"
  echo "$CENTRIFUGO_BIN"
  exit 0
fi

# use: make .cache/bin/centrifugo point at the cached binary and print its path.
use() {
  ln -sfn "centrifugo-$VERSION" "$REPO_BIN/centrifugo"
  echo "$REPO_BIN/centrifugo-$VERSION"
}

# cached: is a working binary in one of the caches? (copies it into the repo cache)
cached() {
  if [ -x "$REPO_BIN/centrifugo-$VERSION" ] && "$REPO_BIN/centrifugo-$VERSION" version >/dev/null 2>&1; then return 0; fi
  if [ -x "$USER_CACHE/centrifugo-$VERSION" ] && "$USER_CACHE/centrifugo-$VERSION" version >/dev/null 2>&1; then
    cp -f "$USER_CACHE/centrifugo-$VERSION" "$REPO_BIN/centrifugo-$VERSION"
    return 0
  fi
  return 1
}

# build: go get + go build in a throwaway module (gets past `go install`'s @v/list deprecation check).
build() {
  local work
  command -v go >/dev/null 2>&1 || { warn "Go is not installed: cannot build Centrifugo v$VERSION"; return 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/centrifugo-build.XXXXXX")
  log "building Centrifugo v$VERSION with $(go version | cut -d' ' -f3) (a few minutes, once)"
  if (
    cd "$work" &&
      export GOFLAGS=-mod=mod &&
      go mod init centrifugo-build >/dev/null 2>&1 &&
      timeout 900 go get "github.com/centrifugal/centrifugo/v6@v$VERSION" &&
      timeout 1800 go build -trimpath \
        -ldflags "-s -w -X github.com/centrifugal/centrifugo/v6/internal/build.Version=$VERSION" \
        -o "$work/centrifugo" "github.com/centrifugal/centrifugo/v6"
  ) >"$work/build.log" 2>&1; then
    install -m 755 "$work/centrifugo" "$USER_CACHE/centrifugo-$VERSION" 2>/dev/null || true
    install -m 755 "$work/centrifugo" "$REPO_BIN/centrifugo-$VERSION"
    rm -rf "$work"
    log "built $("$REPO_BIN/centrifugo-$VERSION" version)"
    return 0
  fi
  warn "building Centrifugo v$VERSION failed; the end of the log ($work/build.log):"
  tail -n 8 "$work/build.log" | sed 's/^/    /' >&2
  return 1
}

if cached; then use; exit 0; fi

# One build at a time (parallel `make test` runs share the caches).
exec 9>"$REPO_BIN/.build.lock"
if ! flock -n 9; then
  log "another Centrifugo build is running; waiting for it"
  flock 9
fi
if cached; then use; exit 0; fi
build && { use; exit 0; }
die "no Centrifugo binary: v$VERSION could not be built (install Go >= 1.26, or set CENTRIFUGO_BIN to a v6 binary)"
