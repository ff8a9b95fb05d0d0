# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mWARNING:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# apt_install PKG...: install Debian packages when we may (root, or passwordless sudo).
apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      warn "cannot install $* (not root, no passwordless sudo): install them yourself"; return 1
    fi
  fi
  if [ -z "${_APT_UPDATED:-}" ]; then
    log "apt-get update"
    $sudo apt-get update -qq >/dev/null || return 1
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# free_port: an unused TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_port PORT [SECONDS]
wait_for_port() {
  local port=$1 timeout=${2:-30} i=0
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    i=$((i + 1)); [ "$i" -ge $((timeout * 10)) ] && return 1; sleep 0.1
  done
}
