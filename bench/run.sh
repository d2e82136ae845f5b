#!/usr/bin/env bash
# Coffer load benchmark: KMS operations over HTTP against an nginx baseline
# measured in the same run on the same machine, plus a crypto micro-benchmark
# against `openssl speed`. See docs/performance.md.
#
# Usage: bash bench/run.sh        (the Makefile's `make bench`)
# Environment knobs (defaults in brackets):
#   DURATION [10s]  WARMUP [3s]  CONNECTIONS [32]  WRK_THREADS [1]
#   THREADS [nproc]       coffer IO threads = nginx worker processes
#   BENCH_BUILD_DIR [build-bench]  where coffer + kms_crypto_bench are built
#   BENCH_STRICT [0]      1: exit 2 when the Encrypt target is missed
#   SKIP_CRYPTO [0]       1: skip the openssl / Google Benchmark part
#   SKIP_HTTP [0]         1: skip the HTTP load part (and its crypto part)
#   SKIP_ENVELOPE [0]     1: skip the envelope throughput part (bench/envelope.sh)
#   COFFER_BIN            use this coffer binary instead of building one
#   BENCH_AUDIT_ONLY [0]  1: only the audit strict-vs-batched part (bench/audit_modes.sh)
#   SKIP_AUDIT [0]        1: skip that part
#   ASYM_ONLY [0]         1: only the Sign/Verify benchmark (bench/asym.sh)
#   SKIP_ASYM [0]         1: skip it
set -euo pipefail
if [ "${ASYM_ONLY:-0}" = 1 ]; then exec bash "$(dirname "${BASH_SOURCE[0]}")/asym.sh"; fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
THREADS="${THREADS:-$(nproc)}"
BUILD_DIR="${BENCH_BUILD_DIR:-$ROOT/build-bench}"
PY=/usr/bin/python3

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] FAIL: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
"$PY" -c 'import botocore' >/dev/null 2>&1 || need+=(python3-botocore)
[ -e /usr/include/benchmark/benchmark.h ] || need+=(libbenchmark-dev)
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing: ${need[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# ---------------------------------------------------------------- build
if { [ -z "${COFFER_BIN:-}" ] || [ "${SKIP_CRYPTO:-0}" != 1 ]; } &&
  ! grep -q '^COFFER_BENCH:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  log "configuring $BUILD_DIR (Release, COFFER_BENCH=ON)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCOFFER_BENCH=ON -DCOFFER_TESTS=OFF >/dev/null
fi
targets=()
[ -n "${COFFER_BIN:-}" ] || targets+=(coffer)
[ "${SKIP_CRYPTO:-0}" = 1 ] || targets+=(kms_crypto_bench)
if [ "${#targets[@]}" -gt 0 ]; then
  log "building ${targets[*]} in $BUILD_DIR (no-op when up to date)"
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" >"$BUILD_DIR/bench-build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR/bench-build.log" >&2; die "build failed"; }
fi
COFFER="${COFFER_BIN:-$BUILD_DIR/src/cli/coffer}"
[ -x "$COFFER" ] || die "no coffer binary at $COFFER"
CRYPTO_BENCH="$BUILD_DIR/bench/kms_crypto_bench"

# ---------------------------------------------------------------- envelope
if [ "${SKIP_ENVELOPE:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" bash "$BENCH/envelope.sh" || die "envelope benchmark failed"
fi
[ "${SKIP_HTTP:-0}" != 1 ] || exit 0
if [ "${BENCH_AUDIT_ONLY:-0}" = 1 ]; then
  COFFER_BIN="$COFFER" exec bash "$BENCH/audit_modes.sh"
fi

# ---------------------------------------------------------------- processes
TMP="$(mktemp -d -t coffer-bench.XXXXXX)"
COFFER_PID=""
NGINX_PID=""
stop_pid() {  # pid: SIGTERM, wait up to 5 s, then SIGKILL
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$COFFER_PID"
  stop_pid "$NGINX_PID"  # nginx master; its workers exit with it
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
rm -f "$OUT"/*.wrk.txt "$OUT"/*.lua

# coffer on a free port, fresh data dir; quotas off (the load is far beyond
# AWS's default symmetric quota), audit trail in its default strict mode.
"$COFFER" serve --data-dir "$TMP/data" --listen 127.0.0.1:0 --ready-file "$TMP/ready" \
  --threads "$THREADS" --log-level warn --quotas false >"$TMP/coffer.log" 2>&1 &
COFFER_PID=$!
for _ in $(seq 100); do
  [ -s "$TMP/ready" ] && break
  kill -0 "$COFFER_PID" 2>/dev/null || { cat "$TMP/coffer.log" >&2; die "coffer exited"; }
  sleep 0.1
done
[ -s "$TMP/ready" ] || die "coffer not ready after 10 s"
ENDPOINT="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$TMP/ready")"
CREDS="$TMP/data/credentials"
log "coffer at $ENDPOINT (pid $COFFER_PID, $THREADS IO threads)"

sign() { "$PY" "$BENCH/sign_request.py" "$@" --endpoint "$ENDPOINT" --credentials "$CREDS"; }
json_get() { "$PY" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }

KEY_ID="$(sign call --target CreateKey --body '{"Description":"bench"}' | json_get KeyMetadata KeyId)"
PLAINTEXT_B64="$("$PY" -c 'import base64; print(base64.b64encode(bytes(i % 256 for i in range(256))).decode())')"
ENCRYPT_BODY="{\"KeyId\":\"$KEY_ID\",\"Plaintext\":\"$PLAINTEXT_B64\"}"
ENCRYPT_RESPONSE="$(sign call --target Encrypt --body "$ENCRYPT_BODY")"
CIPHERTEXT="$(printf '%s' "$ENCRYPT_RESPONSE" | json_get CiphertextBlob)"
DECRYPT_BODY="{\"CiphertextBlob\":\"$CIPHERTEXT\"}"
GDK_BODY="{\"KeyId\":\"$KEY_ID\",\"KeySpec\":\"AES_256\"}"
sign call --target Decrypt --body "$DECRYPT_BODY" >/dev/null || die "Decrypt probe failed"
sign call --target GenerateDataKey --body "$GDK_BODY" >/dev/null || die "GenerateDataKey probe failed"
log "key $KEY_ID; Encrypt response is ${#ENCRYPT_RESPONSE} bytes"

# nginx: same number of workers as coffer IO threads, returning coffer's own
# Encrypt response body (same size) from memory.
NGINX_PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$TMP/nginx/logs"
case "$ENCRYPT_RESPONSE" in *"'"*|*'$'*|*'\'*) die "unexpected characters in Encrypt response";; esac
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
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      default_type application/json;
      return 200 '$ENCRYPT_RESPONSE';
    }
  }
}
CONF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$TMP/nginx/stdout.log" "$TMP/nginx/logs/error.log" >&2; die "nginx exited"; }
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null || die "nginx not listening after 10 s"
log "nginx at $NGINX_URL (pid $NGINX_PID, $THREADS workers)"

# ---------------------------------------------------------------- load runs
# Same request shape for nginx: the pre-signed Encrypt POST (nginx ignores it).
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
run_wrk() {  # label url operation body
  local label="$1" url="$2" op="$3" body="$4" script="$OUT/$1.lua"
  "$PY" "$BENCH/sign_request.py" wrk --endpoint "$ENDPOINT" --credentials "$CREDS" \
    --target "$op" --body "$body" --out "$script"
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

# The baseline is measured before and after the coffer runs; the table uses
# the mean of the two, and shows both so drift on a shared machine is visible.
run_wrk nginx-before "$NGINX_URL" Encrypt "$ENCRYPT_BODY"
run_wrk Encrypt "$ENDPOINT" Encrypt "$ENCRYPT_BODY"
run_wrk Decrypt "$ENDPOINT" Decrypt "$DECRYPT_BODY"
run_wrk GenerateDataKey "$ENDPOINT" GenerateDataKey "$GDK_BODY"
run_wrk nginx-after "$NGINX_URL" Encrypt "$ENCRYPT_BODY"

stop_pid "$COFFER_PID"; COFFER_PID=""
stop_pid "$NGINX_PID"; NGINX_PID=""

# ---------------------------------------------------------------- crypto
if [ "${SKIP_CRYPTO:-0}" != 1 ]; then
  log "openssl speed -evp aes-256-gcm -bytes 256 -seconds 3"
  openssl speed -evp aes-256-gcm -bytes 256 -seconds 3 >"$OUT/openssl-speed.txt" 2>&1
  log "openssl speed -aead -evp aes-256-gcm -bytes 256 -seconds 3 (one full AEAD op per message)"
  openssl speed -aead -evp aes-256-gcm -bytes 256 -seconds 3 >"$OUT/openssl-speed-aead.txt" 2>&1
  log "kms_crypto_bench"
  "$CRYPTO_BENCH" --benchmark_min_time=2 --benchmark_format=json --benchmark_out="$OUT/kms_crypto_bench.json" \
    --benchmark_out_format=json >/dev/null 2>"$OUT/kms_crypto_bench.stderr" ||
    { cat "$OUT/kms_crypto_bench.stderr" >&2; die "kms_crypto_bench failed"; }
fi

# ---------------------------------------------------------------- audit modes
if [ "${SKIP_AUDIT:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" OUT="$OUT" bash "$BENCH/audit_modes.sh" || log "audit mode benchmark failed"
fi

# ---------------------------------------------------------------- asymmetric
if [ "${SKIP_ASYM:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" bash "$BENCH/asym.sh"
fi

# ---------------------------------------------------------------- report
rc=0
"$PY" "$BENCH/report.py" --out-dir "$OUT" --connections "$CONNECTIONS" --duration "$DURATION" \
  --threads "$THREADS" --wrk-threads "$WRK_THREADS" || rc=$?
if [ "$rc" -eq 2 ] && [ "${BENCH_STRICT:-0}" != 1 ]; then rc=0; fi
exit "$rc"
