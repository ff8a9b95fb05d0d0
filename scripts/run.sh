#!/usr/bin/env bash
# `make run`: the whole service on http://localhost:8080 — PostgreSQL, local media, Redis, Centrifugo, the outbox
# relay, gunicorn and nginx. Everything but nginx listens on 127.0.0.1; logs live under ./run/. Ctrl-C stops
# everything.
#
# The database: DATABASE_URL when it is set (environment or .env); otherwise a project-local PostgreSQL cluster in
# ./data/postgres (created on the first run, kept between runs, durable: it is your data) on PG_PORT.
#
# Ports (override with the variables): nginx HTTP_PORT=8080, gunicorn GUNICORN_PORT=8010, Centrifugo
# CENTRIFUGO_PORT=8000 (clients, proxied by nginx) and CENTRIFUGO_INTERNAL_PORT=8001 (HTTP API, health),
# Redis REDIS_PORT=6380, PostgreSQL PG_PORT=5433.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

scripts/bootstrap.sh
scripts/services.sh ensure-run-deps || warn "some optional services could not be installed"
scripts/web-build.sh

RUN=${RUN_DIR:-$PWD/run}
mkdir -p "$RUN"
HTTP_PORT=${HTTP_PORT:-8080}
GUNICORN_PORT=${GUNICORN_PORT:-8010}
GUNICORN_WORKERS=${GUNICORN_WORKERS:-4}
REDIS_PORT=${REDIS_PORT:-6380}
export CENTRIFUGO_PORT=${CENTRIFUGO_PORT:-8000}
export CENTRIFUGO_INTERNAL_PORT=${CENTRIFUGO_INTERNAL_PORT:-8001}
export CENTRIFUGO_ADDRESS=127.0.0.1
export CENTRIFUGO_API_URL=${CENTRIFUGO_API_URL:-http://127.0.0.1:$CENTRIFUGO_INTERNAL_PORT/api}
export PUBLIC_URL=${PUBLIC_URL:-http://localhost:$HTTP_PORT}
# Django's cache on the Redis started below, shared by the gunicorn workers (throttling; PRODUCTION=on needs it).
if ! grep -qE '^[[:space:]]*CACHE_URL=' .env 2>/dev/null; then
  export CACHE_URL=${CACHE_URL:-redis://127.0.0.1:$REDIS_PORT/1}
fi
export DJANGO_SETTINGS_MODULE=application.settings
PY=.venv/bin/python

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$HTTP_PORT" "$GUNICORN_PORT"; do
  port_busy "$port" && die "port $port is already in use (another \`make run\`?); set HTTP_PORT/GUNICORN_PORT"
done

# ------------------------------------------------------------------------------------------------- database
pg_dir=""
if [ -z "${DATABASE_URL:-}" ] && ! grep -qE '^[[:space:]]*DATABASE_URL=' .env 2>/dev/null; then
  export PG_PORT=${PG_PORT:-5433}
  pg_dir=${PG_DATA_DIR:-$PWD/data/postgres}
  port_busy "$PG_PORT" && die "port $PG_PORT is in use: set PG_PORT (or DATABASE_URL for a server of your own)"
  [ -f "$pg_dir/PG_VERSION" ] || log "creating the local PostgreSQL cluster in ${pg_dir#"$PWD"/} (kept between runs)"
  DATABASE_URL=$(scripts/postgres.sh start "$pg_dir" "$PG_PORT" --durable --database messenger)
  export DATABASE_URL
  log "PostgreSQL on 127.0.0.1:$PG_PORT (data in ${pg_dir#"$PWD"/})"
fi
stop_database() { [ -z "$pg_dir" ] || scripts/postgres.sh stop "$pg_dir" || true; }
trap stop_database EXIT

log "database: migrate"
$PY manage.py migrate --noinput -v0
if command -v msgfmt >/dev/null 2>&1; then
  $PY manage.py compilemessages -l ru --ignore=.venv --ignore=.cache -v0 >/dev/null 2>&1 || true
fi
$PY manage.py collectstatic --noinput -v0

# ------------------------------------------------------------------------------------------------- processes
pids=()
names=()
stopping=""
stop_all() {
  [ -n "$stopping" ] && return
  stopping=1
  echo
  log "stopping"
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_database
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND...: run in the background, output prefixed with the name (and kept in run/NAME.log).
start() {
  local name=$1
  shift
  "$@" > >(sed -u "s/^/[$name] /" | tee -a "$RUN/$name.log") 2>&1 &
  pids+=($!)
  names+=("$name")
}

# supervise NAME COMMAND...: like start, but the command is restarted 1 s after it exits (Centrifugo and the relay:
# stopping Centrifugo — `kill $(cat run/centrifugo.pid)` — is an outage to recover from, not the end of `make run`).
supervise() {
  local name=$1
  shift
  (
    child=""
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    while true; do
      "$@" &
      child=$!
      echo "$child" >"$RUN/$name.pid"
      # `|| status=$?`: under `set -e` a bare `wait` on a crashed child would end this loop with it.
      status=0
      wait "$child" || status=$?
      warn "$name exited (status $status); restarting it in 1 s"
      sleep 1 &
      wait $!
    done
  ) > >(sed -u "s/^/[$name] /" | tee -a "$RUN/$name.log") 2>&1 &
  pids+=($!)
  names+=("$name")
}

realtime=on
if command -v redis-server >/dev/null 2>&1; then
  if port_busy "$REDIS_PORT"; then die "port $REDIS_PORT is in use: set REDIS_PORT"; fi
  mkdir -p "$RUN/redis"
  start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN/redis" --appendonly yes \
    --save "" --protected-mode yes --loglevel warning
  wait_for_port "$REDIS_PORT" 15 || die "Redis did not start"
  export CENTRIFUGO_REDIS_URL=${CENTRIFUGO_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
else
  warn "redis-server is not installed: Centrifugo keeps history in memory (lost when it restarts)"
fi

if CENTRIFUGO=$(scripts/centrifugo-build.sh); then
  for port in "$CENTRIFUGO_PORT" "$CENTRIFUGO_INTERNAL_PORT"; do
    port_busy "$port" && die "port $port is in use: set CENTRIFUGO_PORT/CENTRIFUGO_INTERNAL_PORT"
  done
  $PY manage.py centrifugo_config --binary "$CENTRIFUGO" --out "$RUN/centrifugo.json" --check
  # Centrifugo would read the Django-side CENTRIFUGO_* variables as its own options: the config is the truth.
  supervise centrifugo env $(env | sed -n 's/^\(CENTRIFUGO_[A-Z0-9_]*\)=.*/-u \1/p') "$CENTRIFUGO" -c "$RUN/centrifugo.json"
  wait_for_port "$CENTRIFUGO_INTERNAL_PORT" 20 || die "Centrifugo did not start (see run/centrifugo.log)"
  supervise relay $PY manage.py centrifugo_relay
else
  realtime=""
  warn "================================================================================"
  warn "NO CENTRIFUGO: the API works, but nothing is delivered in real time. Events wait"
  warn "in the outbox table and are delivered once Centrifugo and the relay run."
  warn "================================================================================"
fi

start gunicorn .venv/bin/gunicorn application.wsgi:application --bind "127.0.0.1:$GUNICORN_PORT" \
  --workers "$GUNICORN_WORKERS" --access-logfile - --forwarded-allow-ips 127.0.0.1 --graceful-timeout 5
wait_for_port "$GUNICORN_PORT" 30 || die "gunicorn did not start (see run/gunicorn.log)"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ]; then
  mapfile -t roots < <($PY -c 'import django; django.setup(); from django.conf import settings as s
print(s.STATIC_ROOT); print(s.MEDIA_ROOT)')
  mkdir -p "${roots[1]}"
  conf=$(python3 nginx/render.py run --runtime "$RUN/nginx" --listen "$HTTP_PORT" \
    --api "127.0.0.1:$GUNICORN_PORT" --centrifugo "127.0.0.1:$CENTRIFUGO_PORT" \
    --static "${roots[0]}" --media "${roots[1]}")
  "$NGINX" -t -q -p "$RUN/nginx" -c "$conf" || die "nginx rejected $conf"
  start nginx "$NGINX" -p "$RUN/nginx" -c "$conf"
  wait_for_port "$HTTP_PORT" 15 || die "nginx did not start (see run/nginx/error.log)"
else
  warn "nginx is not installed: the API is only on http://127.0.0.1:$GUNICORN_PORT (no websocket on :$HTTP_PORT)"
fi

cat >&2 <<EOF

  Messenger is running:
    Web client   http://localhost:$HTTP_PORT/
    API          http://localhost:$HTTP_PORT/api/
    Swagger      http://localhost:$HTTP_PORT/api/schema/swagger/
    ReDoc        http://localhost:$HTTP_PORT/api/schema/redoc/
    Admin        http://localhost:$HTTP_PORT/admin/
EOF
if [ -n "$realtime" ]; then
  cat >&2 <<EOF
    WebSocket    ws://localhost:$HTTP_PORT/connection/websocket   ($("$CENTRIFUGO" version 2>/dev/null | head -1))
EOF
fi
cat >&2 <<EOF
  Logs in run/*.log. Centrifugo and the relay restart by themselves when they exit.
  Ctrl-C stops everything.

EOF

# Run until Ctrl-C or until one of the processes dies.
set +e
wait -n "${pids[@]}"
rc=$?
[ -z "$stopping" ] && warn "a process exited (status $rc); stopping the rest"
exit "$rc"
