#!/usr/bin/env bash
# Installs the system services the project runs beside Django.
#   scripts/services.sh ensure-test-deps   everything `make test` needs (PostgreSQL, Redis, nginx, Centrifugo,
#                                          Chromium for the browser tests, the Compose file validator)
#   scripts/services.sh ensure-run-deps    everything `make run` can use (Redis, nginx, Centrifugo; warnings only)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_pkgs() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
  # Playwright cannot download browsers here: the browser tests drive Debian's (application/tests/browser.py).
  [ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || missing+=(chromium)
  [ "${#missing[@]}" -eq 0 ] || printf "%s\n" "${missing[@]}"
}

case "${1:-}" in
  ensure-test-deps)
    mapfile -t pkgs < <(need_pkgs)
    [ "${#pkgs[@]}" -eq 0 ] || apt_install "${pkgs[@]}" || die "could not install ${pkgs[*]}"
    if [ -x scripts/centrifugo-build.sh ]; then scripts/centrifugo-build.sh >&2; fi
    scripts/compose-check-build.sh >/dev/null
    ;;
  ensure-run-deps)
    mapfile -t pkgs < <(need_pkgs | grep -v -e postgresql -e gettext -e chromium)
    [ "${#pkgs[@]}" -eq 0 ] || apt_install "${pkgs[@]}" || warn "could not install ${pkgs[*]}"
    if [ -x scripts/centrifugo-build.sh ]; then scripts/centrifugo-build.sh >&2 || true; fi
    ;;
  *) die "usage: $0 ensure-test-deps|ensure-run-deps" ;;
esac
