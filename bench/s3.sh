#!/usr/bin/env bash
# S3 object GET and PUT against baselines measured in the same run on the same
# machine (see docs/performance.md, section "S3"):
# - GET of a 64 KiB and an 8 MiB object at 8 and 32 connections, coffer vs
#   nginx serving the same bytes from a file (same worker count as coffer's IO
#   threads, sendfile on). coffer is sent one presigned GET URL per object
#   (query SigV4, generated once, 1-hour expiry) that wrk replays; nginx is
#   sent the same path and query. Each case runs as nginx, coffer, nginx.
# - PUT of the same objects at 8 connections: wrk replays one presigned PUT
#   URL (UNSIGNED-PAYLOAD) with the object as the body, vs a write + fsync loop
#   of the same size in the same file system (1 and 8 writers; the ratio uses
#   the faster), and `openssl speed -evp aes-256-gcm -bytes 65536` (one core)
#   as the crypto bound.
# - Server RSS during the upload and the download of a 1 GiB object, on a
#   freshly started server (VmRSS sampled every 20 ms, VmHWM).
# Targets: 8 MiB GET >= 0.6 x nginx, 8 MiB PUT >= 0.5 x write+fsync, 64 KiB
# GET >= 0.4 x nginx req/s; RSS bounded (issue: 4 GiB object under 128 MB).
#
# Usage: bash bench/s3.sh   (run by bench/run.sh unless SKIP_S3=1;
#        S3_ONLY=1 make bench runs only this part)
# Knobs: S3_DURATION [5s] S3_WARMUP [2s] WRK_THREADS [1] S3_WRK_TIMEOUT [30s]
#        S3_GET_CONNECTIONS ["8 32"]  S3_PUT_CONNECTIONS [8]
#        S3_RSS_MIB [1024]   size of the RSS object (0: skip that part)
#        THREADS [nproc]     coffer IO threads = nginx worker processes
#        COFFER_BIN          coffer binary (default build-bench/, then build/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
DURATION="${S3_DURATION:-5s}"
WARMUP="${S3_WARMUP:-2s}"
WRK_THREADS="${WRK_THREADS:-1}"
THREADS="${THREADS:-$(nproc)}"
GET_CONNECTIONS="${S3_GET_CONNECTIONS:-8 32}"
# 32 connections x 8 MiB on a loaded 2-core machine: a response can take more
# than wrk's default 2 s, which wrk counts as a socket error.
WRK_TIMEOUT="${S3_WRK_TIMEOUT:-30s}"
PUT_CONNECTIONS="${S3_PUT_CONNECTIONS:-8}"
RSS_MIB="${S3_RSS_MIB:-1024}"
PY=/usr/bin/python3
log() { printf '[bench-s3] %s\n' "$*" >&2; }
die() { printf '[bench-s3] FAIL: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null 2>&1 || die "wrk missing (bench/run.sh installs it)"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || die "nginx missing (bench/run.sh installs nginx-light)"
"$PY" -c 'import boto3' >/dev/null 2>&1 || die "python3 boto3 missing (apt-get install python3-boto3)"
COFFER="${COFFER_BIN:-}"
for candidate in "$ROOT/build-bench/src/cli/coffer" "$ROOT/build/src/cli/coffer"; do
  [ -n "$COFFER" ] || { [ -x "$candidate" ] && COFFER="$candidate"; } || true
done
[ -x "$COFFER" ] || die "no coffer binary (set COFFER_BIN or build the coffer target)"

TMP="$(mktemp -d -t coffer-bench-s3.XXXXXX)"
COFFER_PID=""
NGINX_PID=""
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
cleanup() {
  local rc=$?
  stop_pid "$COFFER_PID"
  stop_pid "$NGINX_PID"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"
rm -f "$OUT"/s3-*

# nginx with $THREADS workers serving $TMP/www as static files (lib.sh's
# start_nginx answers fixed bodies from memory; this one reads files).
start_nginx_files() {
  local port
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
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
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    root $TMP/www;
  }
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
  log "nginx at $NGINX_URL (pid $NGINX_PID, $THREADS workers, static files)"
}

# A warm-up run, then the measured one into $OUT/s3-<label>.wrk.txt.
s3_wrk() {  # label connections url [script]
  local label="s3-$1" conns="$2" url="$3" script=()
  [ -z "${4:-}" ] || script=(-s "$4")
  log "$1: warm-up $WARMUP"
  wrk -t"$WRK_THREADS" -c"$conns" -d"$WARMUP" --timeout "$WRK_TIMEOUT" --latency "${script[@]}" "$url" >"$OUT/$label.warmup.wrk.txt" 2>&1 || true
  check_wrk "$OUT/$label.warmup.wrk.txt" "$1 (warm-up)"
  log "$1: measuring $DURATION at $conns connections"
  wrk -t"$WRK_THREADS" -c"$conns" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency "${script[@]}" "$url" >"$OUT/$label.wrk.txt" 2>&1 ||
    { cat "$OUT/$label.wrk.txt" >&2; die "$1: wrk failed"; }
  check_wrk "$OUT/$label.wrk.txt" "$1"
}

# ---------------------------------------------------------------- objects
# Random bytes (no compression anywhere, but keep it honest), the same file
# for nginx's root and coffer's PUT.
BUCKET=bench
mkdir -p "$TMP/www/$BUCKET"
head -c $((64 * 1024)) /dev/urandom >"$TMP/www/$BUCKET/obj-64k"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$TMP/www/$BUCKET/obj-8m"

start_coffer
"$PY" "$BENCH/s3_load.py" setup --endpoint "$ENDPOINT" --credentials "$CREDS" --bucket "$BUCKET" \
  --objects-dir "$TMP/www/$BUCKET" --out "$TMP/urls.json" || die "S3 setup (PUT, repeated presigned GET) failed"
url_of() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' "$TMP/urls.json" "$@"; }
log "objects stored; presigned GET accepted twice in a row"
start_nginx_files

# ---------------------------------------------------------------- GET
for obj in 64k 8m; do
  get_url="$(url_of "obj-$obj" get)"
  nginx_url="$NGINX_URL${get_url#"$ENDPOINT"}"  # same path and query
  for c in $GET_CONNECTIONS; do
    s3_wrk "get-$obj-c$c-nginx-before" "$c" "$nginx_url"
    s3_wrk "get-$obj-c$c" "$c" "$get_url"
    s3_wrk "get-$obj-c$c-nginx-after" "$c" "$nginx_url"
  done
done
stop_pid "$NGINX_PID"; NGINX_PID=""

# ---------------------------------------------------------------- PUT
for obj in 64k 8m; do
  "$PY" "$BENCH/s3_load.py" wrk-put --file "$TMP/www/$BUCKET/obj-$obj" --out "$OUT/s3-put-$obj.lua"
  s3_wrk "put-$obj-c$PUT_CONNECTIONS" "$PUT_CONNECTIONS" "$(url_of "obj-$obj" put)" "$OUT/s3-put-$obj.lua"
done
du -sh "$TMP/data" | cut -f1 >"$OUT/s3-data-dir-size.txt"  # old versions are dropped on overwrite
stop_pid "$COFFER_PID"; COFFER_PID=""

# Disk baseline in the same file system as coffer's data directory.
secs="${DURATION%s}"
for obj in 64k 8m; do
  size="$(stat -c %s "$TMP/www/$BUCKET/obj-$obj")"
  for w in 1 "$PUT_CONNECTIONS"; do
    log "disk write+fsync $obj, $w writer(s), ${secs}s"
    "$PY" "$BENCH/s3_load.py" disk --dir "$TMP" --size "$size" --writers "$w" --duration "$secs" \
      >"$OUT/s3-disk-$obj-w$w.json" || die "disk baseline failed"
  done
done
log "openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3"
openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3 >"$OUT/s3-openssl-speed.txt" 2>&1

# ---------------------------------------------------------------- RSS
if [ "$RSS_MIB" -gt 0 ]; then
  start_coffer  # fresh process: VmHWM covers only what follows
  mkdir -p "$TMP/empty"
  "$PY" "$BENCH/s3_load.py" setup --endpoint "$ENDPOINT" --credentials "$CREDS" --bucket rss \
    --objects-dir "$TMP/empty" --out "$TMP/rss-urls.json" || die "CreateBucket rss failed"
  log "RSS: upload then download of a $RSS_MIB MiB object"
  "$PY" "$BENCH/s3_load.py" rss --pid "$COFFER_PID" --endpoint "$ENDPOINT" --credentials "$CREDS" \
    --bucket rss --key big --size $((RSS_MIB * 1024 * 1024)) >"$OUT/s3-rss.json" || die "RSS part failed"
  stop_pid "$COFFER_PID"; COFFER_PID=""
fi

"$PY" "$BENCH/s3_report.py" --out-dir "$OUT" --duration "$DURATION" --threads "$THREADS" \
  --wrk-threads "$WRK_THREADS" --get-connections "$GET_CONNECTIONS" --put-connections "$PUT_CONNECTIONS"

# Encryption modes: 64 KiB PUTs per SSE mode as ratios to SSE-S3, KMS calls per 1,000 PUTs.
COFFER_BIN="$COFFER" bash "$BENCH/s3_sse.sh" || die "S3 encryption benchmark failed"
