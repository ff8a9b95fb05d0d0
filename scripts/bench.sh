#!/usr/bin/env bash
# `make bench`: the benchmarks of docs/performance.md, on loopback, bounded in time.
#
#   scripts/bench.sh [--users N] [--chats N] [--messages N] [--duration S] [--connections N] [--workers N]
#                    [--only a,b] [--profile auto|off|a,b] [--quick] [--keep-running]
#
# 1. a dedicated PostgreSQL cluster in .cache/bench-pg/<dataset key> (seeded once by `manage.py seed_demo`, reused
#    by later runs of the same size and seed code);
# 2. the stack: gunicorn (fixed worker count) behind nginx, Centrifugo with the outbox relay when available;
# 3. bench/prepare.py picks each scenario's requests and counts their SQL queries, bench/run.py drives wrk and
#    writes bench/results/latest.{md,json} and latency.png.
# Every knob also reads an environment variable: BENCH_USERS, BENCH_CHATS, BENCH_MESSAGES, BENCH_DURATION,
# BENCH_CONNECTIONS, BENCH_WORKERS, BENCH_ONLY, BENCH_PROFILE (default auto: py-spy on the slowest scenario).
# --quick is a small dataset and short runs (for development).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

USERS=${BENCH_USERS:-10000}
CHATS=${BENCH_CHATS:-20000}
MESSAGES=${BENCH_MESSAGES:-1000000}
GROUP_MEMBERS=${BENCH_GROUP_MEMBERS:-1000}
BUSY_USER_CHATS=${BENCH_BUSY_USER_CHATS:-500}
# The share of all messages that goes to the one large group (the deep-cursor chat): 0.5 of 1M is 500,000.
BIG_CHAT_SHARE=${BENCH_BIG_CHAT_SHARE:-0.5}
WORKERS=${BENCH_WORKERS:-4}
export BENCH_DURATION=${BENCH_DURATION:-10}
export BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-8}
export BENCH_ONLY=${BENCH_ONLY:-}
KEEP_RUNNING=0
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift 2 ;;
    --chats) CHATS=$2; shift 2 ;;
    --messages) MESSAGES=$2; shift 2 ;;
    --duration) BENCH_DURATION=$2; shift 2 ;;
    --connections) BENCH_CONNECTIONS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --only) BENCH_ONLY=$2; shift 2 ;;
    --profile) export BENCH_PROFILE=$2; shift 2 ;;
    --quick) USERS=2000; CHATS=4000; MESSAGES=20000; BENCH_DURATION=3; export BENCH_WARMUP=1 BENCH_SINGLE_DURATION=2
      shift ;;
    --keep-running) KEEP_RUNNING=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
bench_started=$(date +%s)

# wait_for_http URL SECONDS: until the URL answers at all (a 401 is an answer).
wait_for_http() {
  .venv/bin/python - "$1" "$2" <<'PY'
import sys, time, urllib.error, urllib.request
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=5)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}

scripts/bootstrap.sh
command -v wrk >/dev/null 2>&1 || apt_install wrk || die "wrk is required (apt-get install wrk)"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_install nginx-light \
  || warn "nginx is missing: gunicorn is benchmarked directly"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
CENTRIFUGO_BIN=""
if [ -x scripts/centrifugo-build.sh ]; then
  CENTRIFUGO_BIN=$(scripts/centrifugo-build.sh 2>/dev/null | tail -n1) || CENTRIFUGO_BIN=""
  [ -x "$CENTRIFUGO_BIN" ] || CENTRIFUGO_BIN=""
fi

# The dataset key: its size and the code that shapes it (the seed command). Schema changes do not invalidate it:
# `migrate` runs on the cached cluster every time.
# (Short: PostgreSQL's socket path inside it must stay under 108 bytes.)
shape="users=$USERS chats=$CHATS messages=$MESSAGES group=$GROUP_MEMBERS busy=$BUSY_USER_CHATS share=$BIG_CHAT_SHARE"
seed_code=$( (echo "$shape"; cat conversations/management/commands/seed_demo.py 2>/dev/null) | sha256sum | cut -c1-10)
key="u${USERS}-m${MESSAGES}-${seed_code}"
cache="$PWD/.cache/bench-pg"
pgdir="$cache/$key"
mkdir -p "$cache"
chmod 755 .cache "$cache" 2>/dev/null || true
# Keep one seeded cluster per dataset size; clusters of older seed code only take disk space.
for old in "$cache"/u"${USERS}"-m"${MESSAGES}"-*; do
  [ -e "$old" ] && [ "$old" != "$pgdir" ] && [ "${old%.seeded}" = "$old" ] && {
    log "removing the outdated benchmark database $old"
    scripts/postgres.sh stop "$old" || true
    rm -rf "$old" "$old.seeded"
  }
done

run=$(mktemp -d "${TMPDIR:-/tmp}/messenger-bench.XXXXXX")
chmod 755 "$run"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$pgdir" ] && scripts/postgres.sh stop "$pgdir" || true
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DJANGO_SETTINGS_MODULE=application.settings DEBUG=off LOG_LEVEL=ERROR
export MEDIA_ROOT="$run/media" DATABASE_CONN_MAX_AGE=600
PY=.venv/bin/python
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  # An already seeded database (development of the harness): no cluster, no seeding.
  export DATABASE_URL=$BENCH_DATABASE_URL
  pgdir=""
  log "using BENCH_DATABASE_URL as it is"
else
pg_port=$(free_port)
log "PostgreSQL for the benchmark on 127.0.0.1:$pg_port ($pgdir)"
DATABASE_URL=$(scripts/postgres.sh start "$pgdir" "$pg_port")
export DATABASE_URL

log "migrating"
$PY manage.py migrate --no-input -v0
if [ ! -f "$pgdir.seeded" ]; then
  [ -f conversations/management/commands/seed_demo.py ] || die "manage.py seed_demo is not in this tree yet"
  log "seeding: $USERS users, $CHATS chats, $MESSAGES messages (once per dataset; cached in $pgdir)"
  seed_started=$(date +%s)
  $PY manage.py seed_demo --users "$USERS" --chats "$CHATS" --messages "$MESSAGES" \
    --group-size "$GROUP_MEMBERS" --busy-user-chats "$BUSY_USER_CHATS" --big-chat-share "$BIG_CHAT_SHARE" --seed 1
  log "VACUUM ANALYZE"
  $PY manage.py dbshell -- -q -c "VACUUM ANALYZE" >/dev/null
  echo "$shape, seeded in $(($(date +%s) - seed_started)) s" > "$pgdir.seeded"
  log "$(cat "$pgdir.seeded")"
else
  log "reusing the seeded database ($(cat "$pgdir.seeded"))"
  # Earlier runs' sends left dead rows (every group send updates 999 memberships): start from a clean state.
  log "VACUUM ANALYZE"
  $PY manage.py dbshell -- -q -c "VACUUM ANALYZE" >/dev/null
fi
fi

log "preparing the scenarios (tokens, read_all state, SQL queries per request)"
$PY -m bench.prepare "$run/prepared"

# --- the stack ------------------------------------------------------------------------------------------------
# The same pieces and config rendering as `make run` (scripts/run.sh): Centrifugo's config from
# `manage.py centrifugo_config`, the outbox relay, gunicorn, nginx from nginx/render.py — on free loopback ports.
stack="gunicorn ($WORKERS sync workers)"
c_port=$(free_port)
if [ -n "$CENTRIFUGO_BIN" ]; then
  c_api=$(free_port)
  # History and the idempotency cache in Redis, as in production (docker-compose); memory without redis-server.
  redis_url=""
  if command -v redis-server >/dev/null 2>&1; then
    r_port=$(free_port)
    mkdir -p "$run/redis"
    redis-server --bind 127.0.0.1 --port "$r_port" --dir "$run/redis" --appendonly yes --save "" \
      --protected-mode yes --loglevel warning >"$run/redis.log" 2>&1 &
    pids+=($!)
    wait_for_port "$r_port" 15 || die "Redis did not start"
    redis_url="redis://127.0.0.1:$r_port/0"
  else
    warn "redis-server is not installed: Centrifugo keeps history in memory"
  fi
  CENTRIFUGO_REDIS_URL=$redis_url $PY manage.py centrifugo_config --out "$run/centrifugo.json" \
    --binary "$CENTRIFUGO_BIN" --port "$c_port" --internal-port "$c_api" --log-level error 2>/dev/null
  # Centrifugo would read the Django-side CENTRIFUGO_* variables as its own options: the config is the truth.
  env $(env | sed -n 's/^\(CENTRIFUGO_[A-Z0-9_]*\)=.*/-u \1/p') "$CENTRIFUGO_BIN" -c "$run/centrifugo.json" \
    >"$run/centrifugo.log" 2>&1 &
  pids+=($!)
  wait_for_port "$c_api" 20 || { cat "$run/centrifugo.log" >&2; die "Centrifugo did not start"; }
  export CENTRIFUGO_API_URL="http://127.0.0.1:$c_api/api"
  $PY manage.py centrifugo_relay >"$run/relay.log" 2>&1 &
  pids+=($!)
  version=$("$CENTRIFUGO_BIN" version 2>/dev/null | grep -o 'v\?[0-9]\+\.[0-9]\+\.[0-9]\+' | head -n1 || true)
  engine="memory engine"
  [ -n "$redis_url" ] && engine="Redis engine"
  stack="$stack, Centrifugo ${version:-} ($engine) + outbox relay"
else
  warn "no Centrifugo binary: events stay in the outbox and the realtime scenario is skipped"
fi

g_port=$(free_port)
log "gunicorn: $WORKERS workers on 127.0.0.1:$g_port"
# gunicorn 27's control socket defaults to one path per user: keep ours apart from other gunicorns.
control=()
case "$(.venv/bin/gunicorn --help 2>/dev/null)" in *--control-socket*) control=(--control-socket "$run/gunicorn.ctl") ;; esac
# --preload: the app is imported once and the workers fork ready, so the first scenario does not time their boot.
.venv/bin/gunicorn application.wsgi:application --workers "$WORKERS" --bind "127.0.0.1:$g_port" --preload \
  --backlog 2048 --access-logfile /dev/null --error-logfile "$run/gunicorn.log" --forwarded-allow-ips 127.0.0.1 \
  "${control[@]}" &
gunicorn_pid=$!
pids+=("$gunicorn_pid")
wait_for_http "http://127.0.0.1:$g_port/api/health/db/" 120 || { cat "$run/gunicorn.log" >&2; die "gunicorn did not start"; }
url="http://127.0.0.1:$g_port"

# The bare reference (bench/bare_wsgi.py): the floor's query without the framework, under the same gunicorn.
b_port=$(free_port)
bare_control=()
[ "${#control[@]}" -gt 0 ] && bare_control=(--control-socket "$run/bare.ctl")
.venv/bin/gunicorn bench.bare_wsgi:application --workers "$WORKERS" --bind "127.0.0.1:$b_port" --preload \
  --backlog 2048 --access-logfile /dev/null --error-logfile "$run/bare.log" "${bare_control[@]}" &
pids+=($!)
wait_for_http "http://127.0.0.1:$b_port/?user=00000000-0000-0000-0000-000000000000" 60 \
  || { cat "$run/bare.log" >&2; die "the bare WSGI reference did not start"; }

if [ -x "$NGINX" ] && [ -f nginx/render.py ]; then
  n_port=$(free_port)
  mkdir -p "$run/static"
  conf=$(python3 nginx/render.py run --runtime "$run/nginx" --listen "127.0.0.1:$n_port" \
    --api "127.0.0.1:$g_port" --centrifugo "127.0.0.1:$c_port" --static "$run/static" --media "$run/media")
  "$NGINX" -t -q -p "$run/nginx" -c "$conf" || die "nginx rejected $conf"
  "$NGINX" -p "$run/nginx" -c "$conf" &
  pids+=($!)
  wait_for_http "http://127.0.0.1:$n_port/api/health/db/" 30 || die "nginx did not start ($run/nginx/error.log)"
  url="http://127.0.0.1:$n_port"
  stack="nginx (nginx/render.py config) -> $stack"
else
  warn "nginx (or nginx/render.py) is missing: gunicorn is benchmarked directly"
fi

realtime_command=""
ws=""
if [ -n "$CENTRIFUGO_BIN" ] && [ -f bench/realtime_latency.py ]; then
  ws="ws://127.0.0.1:$c_port/connection/websocket"
  [ "$url" != "http://127.0.0.1:$g_port" ] && ws="${url/http:/ws:}/connection/websocket"
  realtime_command="$PY bench/realtime_latency.py --url $url --ws-url $ws --rate {rate} --messages {messages}"
  realtime_command+=" --json-out {out}"
fi

log "load: $BENCH_CONNECTIONS connections, ${BENCH_DURATION}s per scenario ($url)"
code=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && code="$code + uncommitted changes"
meta=$(printf '{"stack": "%s", "code": "%s"}' "$stack" "$code")
$PY -m bench.run "$run/prepared" --url "$url" --gunicorn-pid "$gunicorn_pid" \
  --realtime-command "$realtime_command" --ws-url "$ws" --direct-url "http://127.0.0.1:$g_port" \
  --bare-url "http://127.0.0.1:$b_port" --meta "$meta"
log "make bench took $(($(date +%s) - bench_started)) s"
if [ "$KEEP_RUNNING" = 1 ]; then
  log "stack kept running at $url (DATABASE_URL=$DATABASE_URL); Ctrl-C to stop"
  wait "$gunicorn_pid"
fi
