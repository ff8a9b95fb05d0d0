#!/usr/bin/env bash
# `make cluster`: the scaled topology on loopback, to try by hand (docs/scaling.md, "Trying it by hand"):
#   nginx (HTTP_PORT, default 8090) -> API node A and API node B (gunicorn + outbox relay each; one relay delivers)
#   -> PostgreSQL primary + a streaming replica (pg_basebackup) for the reads, Django's cache in Redis;
#   Centrifugo node A and node B on the Redis engine, both behind nginx's /connection/websocket.
# Everything is throwaway (a temporary directory, free loopback ports) and printed at start; Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

scripts/bootstrap.sh
scripts/services.sh ensure-run-deps || warn "some optional services could not be installed"
CENTRIFUGO=$(scripts/centrifugo-build.sh)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is required"
command -v redis-server >/dev/null 2>&1 || die "redis-server is required"
HTTP_PORT=${HTTP_PORT:-8090}
(exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null && die "port $HTTP_PORT is in use: set HTTP_PORT"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/messenger-cluster.XXXXXX")
chmod 755 "$RUN"
pids=()
stopping=""
cleanup() {
  [ -n "$stopping" ] && return
  stopping=1
  log "stopping"
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for i in "${pids[@]}"; do wait "$i" 2>/dev/null || true; done
  scripts/postgres.sh stop "$RUN/replica" || true
  scripts/postgres.sh stop "$RUN/pg" || true
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Centrifugo would read the Django-side CENTRIFUGO_* variables as its own options: the config is the truth.
# (exec: run in the background, the function's subshell becomes the process whose pid is kept.)
no_centrifugo_env() { exec env $(env | sed -n 's/^\(CENTRIFUGO_[A-Z0-9_]*\)=.*/-u \1/p') "$@"; }

export DJANGO_SETTINGS_MODULE=application.settings LOG_LEVEL=INFO PUBLIC_URL=http://localhost:$HTTP_PORT
PY=.venv/bin/python

log "PostgreSQL primary and a streaming replica"
pg_port=$(free_port)
# --durable: synchronous commits, as in production; with asynchronous ones the WAL reaches the replica only at
# the WAL writer's next flush (up to 200 ms), and the relay holds events back until the replica has them.
DATABASE_URL=$(scripts/postgres.sh start "$RUN/pg" "$pg_port" --durable --database messenger)
export DATABASE_URL
$PY manage.py migrate --no-input -v0
replica_port=$(free_port)
replica=$(scripts/postgres.sh replica "$RUN/replica" "$replica_port" "$pg_port")
export DATABASE_REPLICA_URL=${replica%/*}/messenger

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$RUN" >"$RUN/redis.log" 2>&1 &
pids+=($!)
wait_for_port "$redis_port" 15 || die "Redis did not start"
export CENTRIFUGO_REDIS_URL=redis://127.0.0.1:$redis_port/0 CACHE_URL=redis://127.0.0.1:$redis_port/1

declare -A ws api gunicorn
for node in a b; do
  ws[$node]=$(free_port)
  api[$node]=$(free_port)
  $PY manage.py centrifugo_config --out "$RUN/centrifugo-$node.json" --binary "$CENTRIFUGO" \
    --port "${ws[$node]}" --internal-port "${api[$node]}" >/dev/null 2>&1
  no_centrifugo_env "$CENTRIFUGO" -c "$RUN/centrifugo-$node.json" >"$RUN/centrifugo-$node.log" 2>&1 &
  pids+=($!)
done
for node in a b; do
  wait_for_port "${api[$node]}" 20 || die "Centrifugo $node did not start ($RUN/centrifugo-$node.log)"
done

for node in a b; do
  gunicorn[$node]=$(free_port)
  CENTRIFUGO_API_URL=http://127.0.0.1:${api[$node]}/api .venv/bin/gunicorn application.wsgi:application \
    --bind "127.0.0.1:${gunicorn[$node]}" --workers 2 --access-logfile "$RUN/api-$node.access.log" \
    --error-logfile "$RUN/api-$node.log" --control-socket "$RUN/gunicorn-$node.ctl" &
  pids+=($!)
done

# The relays: A first, so it holds the lock; application_name tells them apart in pg_locks.
for node in a b; do
  CENTRIFUGO_API_URL=http://127.0.0.1:${api[$node]}/api DATABASE_URL="$DATABASE_URL?application_name=relay-$node" \
    $PY manage.py centrifugo_relay >"$RUN/relay-$node.log" 2>&1 &
  echo $! >"$RUN/relay-$node.pid"
  pids+=($!)
  for _ in $(seq 600); do grep -q "holding the relay lock\|standing by" "$RUN/relay-$node.log" && break; sleep 0.1; done
done
for node in a b; do
  wait_for_port "${gunicorn[$node]}" 60 || die "API node $node did not start ($RUN/api-$node.log)"
done

conf=$(python3 nginx/render.py run --runtime "$RUN/nginx" --listen "$HTTP_PORT" \
  --api "127.0.0.1:${gunicorn[a]}" --api "127.0.0.1:${gunicorn[b]}" \
  --centrifugo "127.0.0.1:${ws[a]}" --centrifugo "127.0.0.1:${ws[b]}" --static static --media "$RUN/media")
mkdir -p "$RUN/media"
"$NGINX" -p "$RUN/nginx" -c "$conf" &
pids+=($!)
wait_for_port "$HTTP_PORT" 15 || die "nginx did not start ($RUN/nginx/error.log)"

lock_holder="psql '$DATABASE_URL' -Atc \"SELECT application_name FROM pg_locks JOIN pg_stat_activity USING (pid)
               WHERE locktype = 'advisory' AND objid = 1667591796 AND granted\""
cat >&2 <<EOF

  The scaled topology is running (logs in $RUN):
    nginx          http://localhost:$HTTP_PORT/api/   ws://localhost:$HTTP_PORT/connection/websocket
    API node A     http://127.0.0.1:${gunicorn[a]}   (relay A: pid $(cat "$RUN/relay-a.pid"), publishes to Centrifugo A)
    API node B     http://127.0.0.1:${gunicorn[b]}   (relay B: pid $(cat "$RUN/relay-b.pid"), publishes to Centrifugo B)
    Centrifugo A   ws://127.0.0.1:${ws[a]}/connection/websocket   (API :${api[a]})
    Centrifugo B   ws://127.0.0.1:${ws[b]}/connection/websocket   (API :${api[b]})
    PostgreSQL     $DATABASE_URL (replica: $DATABASE_REPLICA_URL)

  Writes through API node A, received on Centrifugo node B (in order, once; exits non-zero otherwise):
    .venv/bin/python bench/realtime_latency.py --url http://127.0.0.1:${gunicorn[a]} \\
      --ws-url ws://127.0.0.1:${ws[b]}/connection/websocket --messages 300 --rate 10 --connections 1 --timeout 15
  Meanwhile, kill the relay that holds the lock and watch the other take over:
    $lock_holder
    kill -9 \$(cat $RUN/relay-a.pid)

  Killed processes are not restarted. Ctrl-C stops everything.
EOF
# Until Ctrl-C: a relay killed on purpose must not stop the rest (nothing is restarted, to show the takeover).
while true; do sleep 3600 & wait $!; done
