#!/usr/bin/env bash
# `make bench-scaling`: what one node of each realtime kind holds on this machine (docs/scaling.md).
#
#   scripts/bench-scaling.sh [--steps 1000,5000,10000,18000] [--rounds 5] [--events 2000]
#
# 1. Redis and two Centrifugo nodes on its engine (configs from `manage.py centrifugo_config`), on free loopback
#    ports. bench/ws_fanout.py connects N WebSocket clients to node A, each subscribed to its own channel, and
#    times one broadcast to all of them (--steps, --rounds); then the same with the clients split over both nodes
#    and the broadcast sent to node A (publications cross through Redis).
# 2. A throwaway PostgreSQL cluster: bench/relay_throughput.py times the outbox relay delivering --events
#    message-sized events to node A.
# Results: bench/results/scaling.json (and the lines printed). Sends per API node are `make bench`'s figures.
# Every knob also reads an environment variable: BENCH_WS_STEPS, BENCH_WS_ROUNDS, BENCH_RELAY_EVENTS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

STEPS=${BENCH_WS_STEPS:-1000,5000,10000,18000}
ROUNDS=${BENCH_WS_ROUNDS:-5}
EVENTS=${BENCH_RELAY_EVENTS:-2000}
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) STEPS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
started=$(date +%s)

scripts/bootstrap.sh
command -v redis-server >/dev/null 2>&1 || apt_install redis-server || die "redis-server is required"
CENTRIFUGO=$(scripts/centrifugo-build.sh)
PY=.venv/bin/python

run=$(mktemp -d "${TMPDIR:-/tmp}/messenger-bench-scaling.XXXXXX")
chmod 755 "$run"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/postgres.sh stop "$run/pg" || true
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DJANGO_SETTINGS_MODULE=application.settings DEBUG=off LOG_LEVEL=ERROR
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$run" >/dev/null &
redis_pid=$!
pids+=("$redis_pid")
wait_for_port "$redis_port" 15 || die "Redis did not start"
export CENTRIFUGO_REDIS_URL="redis://127.0.0.1:$redis_port/0"

# node NAME: start a Centrifugo node on free ports; sets NODE_PORT, NODE_API, NODE_PID.
node() {
  NODE_PORT=$(free_port)
  NODE_API=$(free_port)
  $PY manage.py centrifugo_config --out "$run/$1.json" --binary "$CENTRIFUGO" --port "$NODE_PORT" \
    --internal-port "$NODE_API" --log-level error >/dev/null
  # Centrifugo would read the Django-side CENTRIFUGO_* variables as its own options: the config is the truth.
  env $(env | sed -n 's/^\(CENTRIFUGO_[A-Z0-9_]*\)=.*/-u \1/p') "$CENTRIFUGO" -c "$run/$1.json" \
    >"$run/$1.log" 2>&1 &
  NODE_PID=$!
  pids+=("$NODE_PID")
  wait_for_port "$NODE_API" 20 || { cat "$run/$1.log" >&2; die "Centrifugo $1 did not start"; }
}
node a
a_port=$NODE_PORT a_api=$NODE_API a_pid=$NODE_PID
node b
b_port=$NODE_PORT

api_key=$($PY -c 'import django; django.setup(); from django.conf import settings as s; print(s.CENTRIFUGO_API_KEY)')
secret=$($PY -c 'import django; django.setup(); from django.conf import settings as s
print(s.CENTRIFUGO_TOKEN_HMAC_SECRET_KEY)')
fanout=("$PY" bench/ws_fanout.py --api-url "http://127.0.0.1:$a_api/api" --api-key "$api_key"
  --hmac-secret "$secret" --pid "$a_pid" --redis-pid "$redis_pid" --rounds "$ROUNDS")
log "Centrifugo $("$CENTRIFUGO" version | head -n1), Redis engine; open files per process: $(ulimit -n)"
log "one node: WebSocket clients on node A, broadcast to node A ($STEPS)"
"${fanout[@]}" --ws-url "ws://127.0.0.1:$a_port/connection/websocket" --steps "$STEPS" --json-out "$run/one.json"
two=${STEPS##*,}
log "two nodes: $two clients split over A and B, broadcast to node A (through Redis to B)"
"${fanout[@]}" --ws-url "ws://127.0.0.1:$a_port/connection/websocket" \
  --ws-url "ws://127.0.0.1:$b_port/connection/websocket" --steps "$two" --json-out "$run/two.json"

pg_port=$(free_port)
DATABASE_URL=$(scripts/postgres.sh start "$run/pg" "$pg_port")
export DATABASE_URL CENTRIFUGO_API_URL="http://127.0.0.1:$a_api/api"
$PY manage.py migrate --no-input -v0
log "the relay: $EVENTS events through node A"
$PY bench/relay_throughput.py --events "$EVENTS" --json-out "$run/relay.json"

mkdir -p bench/results
code=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
$PY - "$run" "$code" "$(nproc)" "$(uptime | sed 's/.*load average: //')" <<'PY' >bench/results/scaling.json
import json, sys
from pathlib import Path
run = Path(sys.argv[1])
print(json.dumps({
    "code": sys.argv[2], "cpus": int(sys.argv[3]), "load_average_after": sys.argv[4],
    "one_node": json.loads((run / "one.json").read_text()),
    "two_nodes": json.loads((run / "two.json").read_text()),
    "relay": json.loads((run / "relay.json").read_text()),
}, indent=2))
PY
log "bench/results/scaling.json written; make bench-scaling took $(($(date +%s) - started)) s"
