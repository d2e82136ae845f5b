# shellcheck shell=bash
# Shell functions shared by bench/run.sh and bench/services.sh (sourced, not run).
# The caller defines log/die and sets PY, BENCH, OUT, TMP (a scratch directory
# it removes), THREADS, and for run_wrk WARMUP, DURATION, CONNECTIONS,
# WRK_THREADS. The functions set COFFER_PID, ENDPOINT, CREDS (start_coffer) and
# NGINX, NGINX_PID, NGINX_URL (start_nginx); the caller's EXIT trap stops them
# with stop_pid.

stop_pid() {  # pid: SIGTERM, wait up to 5 s, then SIGKILL
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# coffer on a free port with a fresh data dir ($TMP/data), $THREADS IO threads,
# quotas off (the load is far beyond AWS's default quotas); extra arguments go
# to `coffer serve`.
start_coffer() {  # [serve flags...]
  rm -rf "$TMP/data" "$TMP/ready"
  "$COFFER" serve --data-dir "$TMP/data" --listen 127.0.0.1:0 --ready-file "$TMP/ready" \
    --threads "$THREADS" --log-level warn --quotas false "$@" >"$TMP/coffer.log" 2>&1 &
  COFFER_PID=$!
  for _ in $(seq 100); do
    [ -s "$TMP/ready" ] && break
    kill -0 "$COFFER_PID" 2>/dev/null || { cat "$TMP/coffer.log" >&2; die "coffer exited"; }
    sleep 0.1  # polling for the ready file, not synchronising a result
  done
  [ -s "$TMP/ready" ] || die "coffer not ready after 10 s"
  ENDPOINT="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$TMP/ready")"
  CREDS="$TMP/data/credentials"
  log "coffer at $ENDPOINT (pid $COFFER_PID, $THREADS IO threads)"
}

sign() { "$PY" "$BENCH/sign_request.py" "$@" --endpoint "$ENDPOINT" --credentials "$CREDS"; }
json_get() { "$PY" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }

# nginx with $THREADS worker processes answering 200 with a fixed JSON body from
# memory: one location per (path, body) pair.
start_nginx() {  # path body [path body...]
  local locations="" port
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  while [ "$#" -ge 2 ]; do
    case "$2" in *"'"*|*'$'*|*'\'*) die "unexpected characters in the nginx body for $1";; esac
    locations+="    location $1 { default_type application/json; return 200 '$2'; }"$'\n'
    shift 2
  done
  port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$TMP/nginx/logs"
  cat >"$TMP/nginx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $THREADS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
$locations  }
}
CONF
  "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" >"$TMP/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  NGINX_URL="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$TMP/nginx/stdout.log" "$TMP/nginx/logs/error.log" >&2; die "nginx exited"; }
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "nginx not listening after 10 s"
  log "nginx at $NGINX_URL (pid $NGINX_PID, $THREADS workers)"
}

check_wrk() {  # file label
  local f="$1" label="$2"
  grep -q '^Requests/sec:' "$f" || { cat "$f" >&2; die "$label: wrk printed no Requests/sec"; }
  if grep -q 'Non-2xx or 3xx responses' "$f"; then
    cat "$f" >&2
    die "$label: server answered non-2xx ($(grep 'Non-2xx' "$f" | tr -s ' '))"
  fi
  if grep -q 'Socket errors' "$f"; then
    cat "$f" >&2
    die "$label: socket errors ($(grep 'Socket errors' "$f" | tr -s ' '))"
  fi
}

# A warm-up run, then the measured one into $OUT/<label>.wrk.txt, replaying one
# request pre-signed for coffer. The same request goes to nginx (which ignores it).
run_wrk() {  # label url operation body [service]
  local label="$1" url="$2" op="$3" body="$4" service="${5:-kms}" script="$OUT/$1.lua"
  sign wrk --service "$service" --target "$op" --body "$body" --out "$script"
  # wrk sets Host from the URL unless the script does: keep the signed one
  # for coffer, drop it for nginx (which does not care).
  [ "$url" = "$ENDPOINT" ] || sed -i '/wrk.headers\["Host"\]/d' "$script"
  log "$label: warm-up $WARMUP"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" --latency -s "$script" "$url" >"$OUT/$label.warmup.wrk.txt" 2>&1 || true
  check_wrk "$OUT/$label.warmup.wrk.txt" "$label (warm-up)"
  log "$label: measuring $DURATION at $CONNECTIONS connections"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url" >"$OUT/$label.wrk.txt" 2>&1 ||
    { cat "$OUT/$label.wrk.txt" >&2; die "$label: wrk failed"; }
  check_wrk "$OUT/$label.wrk.txt" "$label"
}
