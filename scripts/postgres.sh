#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.
#   scripts/postgres.sh start DIR PORT   -> initdb (if needed) and start; prints the DATABASE_URL
#   scripts/postgres.sh stop DIR
# The server package is installed with apt when missing. Runs the server as `postgres` when called as root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

BINDIR=$(find_bindir) || { apt_install postgresql >&2 && BINDIR=$(find_bindir); } || die "PostgreSQL server not found"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}; dir=${2:-}; port=${3:-}
[ -n "$dir" ] || die "usage: $0 start|stop DIR [PORT]"
case "$cmd" in
  start)
    [ -n "$port" ] || die "usage: $0 start DIR PORT"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$BINDIR/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    # Throwaway data: durability off for speed. random_page_cost=1.1: the data is in memory (or on SSD), where an
    # index probe is not 4x a sequential page read; as in docker-compose.yml (docs/performance.md).
    as_owner "$BINDIR/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start -o \
      "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
       -c max_connections=200 -c shared_buffers=256MB -c random_page_cost=1.1" >/dev/null \
      || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_owner "$BINDIR/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) die "usage: $0 start|stop DIR [PORT]" ;;
esac
