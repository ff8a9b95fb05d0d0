#!/usr/bin/env bash
# A project-local PostgreSQL cluster on loopback: throwaway for tests and benchmarks, durable for `make run`.
#   scripts/postgres.sh start DIR PORT [--durable] [--database NAME]
#       initdb (if needed) and start; prints the DATABASE_URL. --durable keeps fsync and synchronous commits on
#       (the user's data); without it durability is off for speed. --database creates NAME when missing.
#   scripts/postgres.sh replica DIR PORT PRIMARY_PORT
#       a throwaway streaming replica of the cluster on PRIMARY_PORT (pg_basebackup, then a hot standby); prints its
#       DATABASE_URL (the same databases as the primary)
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

# serve DIR PORT [durable]: start the cluster in DIR on 127.0.0.1:PORT.
serve() {
  # random_page_cost=1.1: the data is in memory (or on SSD), where an index probe is not 4x a sequential page
  # read; as in docker-compose.yml (docs/performance.md).
  local options="-h 127.0.0.1 -p $2 -k $1 -c max_connections=200 -c shared_buffers=256MB -c random_page_cost=1.1"
  # Throwaway data: durability off for speed.
  [ -n "${3:-}" ] || options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  as_owner "$BINDIR/pg_ctl" -D "$1" -l "$1/server.log" -w -t 60 start -o "$options" >/dev/null \
    || { tail -n 20 "$1/server.log" >&2; die "PostgreSQL did not start (log: $1/server.log)"; }
}

usage="usage: $0 start DIR PORT [--durable] [--database NAME] | replica DIR PORT PRIMARY_PORT | stop DIR"
cmd=${1:-}; dir=${2:-}; port=${3:-}
[ -n "$dir" ] || die "$usage"
case "$cmd" in
  start)
    [ -n "$port" ] || die "$usage"
    shift 3
    durable="" database=postgres
    while [ $# -gt 0 ]; do
      case "$1" in
        --durable) durable=1 ;;
        --database) database=${2:?$usage}; shift ;;
        *) die "$usage" ;;
      esac
      shift
    done
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$BINDIR/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    serve "$dir" "$port" "$durable"
    if [ "$database" != postgres ] && [ -z "$(as_owner "$BINDIR/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$database'" postgres)" ]; then
      as_owner "$BINDIR/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
    fi
    echo "postgres://postgres@127.0.0.1:$port/$database"
    ;;
  replica)
    primary=${4:-}
    [ -n "$port" ] && [ -n "$primary" ] || die "$usage"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      # -R: standby.signal and primary_conninfo (streaming from the primary); -X stream: the WAL written during
      # the copy comes along, so the copy is consistent. initdb's pg_hba trusts replication from loopback.
      out=$(as_owner "$BINDIR/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir" -R -X stream \
        --checkpoint=fast 2>&1) || { echo "$out" >&2; die "pg_basebackup from 127.0.0.1:$primary failed"; }
    fi
    serve "$dir" "$port"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_owner "$BINDIR/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) die "$usage" ;;
esac
