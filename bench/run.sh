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
#   SKIP_ALLOC [0]        1: skip the heap allocations per request count (bench/alloc.sh)
#   SERVICES_ONLY [0]     1: only the Secrets Manager / Parameter Store reads vs
#                         nginx (bench/services.sh; installs tools, builds only coffer)
#   SKIP_SERVICES [0]     1: skip that part
#   S3_ONLY [0]           1: only the S3 GET/PUT vs nginx / write+fsync part
#                         (bench/s3.sh; installs tools, builds only coffer)
#   SKIP_S3 [0]           1: skip that part
#   SKIP_HSM [0]          1: skip Encrypt/CreateKey on the pkcs11 root key provider
#                         (SoftHSM2) vs the file provider (bench/hsm_encrypt.py), and
#                         Encrypt on an AWS_CLOUDHSM custom key store key vs a software
#                         key (bench/cloudhsm_encrypt.py)
#   CLUSTER_ONLY [0]      1: only the cluster part (bench/cluster.py: Encrypt through
#                         haproxy with 1/2/3 nodes, PostgreSQL vs SQLite; builds only coffer)
#   SKIP_CLUSTER [0]      1: skip that part
#   KEYS_SCALE_ONLY [0]   1: only Encrypt with KEYS_SCALE_N [1000000] keys in the store vs
#                         100 keys (bench/keys_scale.py, its knobs there; builds only coffer)
#   SKIP_KEYS_SCALE [0]   1: skip that part
set -euo pipefail
if [ "${ASYM_ONLY:-0}" = 1 ]; then exec bash "$(dirname "${BASH_SOURCE[0]}")/asym.sh"; fi
if [ "${SERVICES_ONLY:-0}" = 1 ]; then SKIP_CRYPTO=1; fi
if [ "${S3_ONLY:-0}" = 1 ]; then SKIP_CRYPTO=1; fi
if [ "${CLUSTER_ONLY:-0}" = 1 ]; then SKIP_CRYPTO=1; fi
if [ "${KEYS_SCALE_ONLY:-0}" = 1 ]; then SKIP_CRYPTO=1; fi

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
[ "${SKIP_S3:-0}" = 1 ] || "$PY" -c 'import boto3' >/dev/null 2>&1 || need+=(python3-boto3)
[ -e /usr/include/benchmark/benchmark.h ] || need+=(libbenchmark-dev)
[ "${SKIP_HSM:-0}" = 1 ] || [ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2 python3-boto3)
if [ "${SKIP_CLUSTER:-0}" != 1 ]; then
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
fi
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
if [ "${SERVICES_ONLY:-0}" = 1 ]; then COFFER_BIN="$COFFER" exec bash "$BENCH/services.sh"; fi
if [ "${S3_ONLY:-0}" = 1 ]; then COFFER_BIN="$COFFER" exec bash "$BENCH/s3.sh"; fi
if [ "${CLUSTER_ONLY:-0}" = 1 ]; then COFFER_BIN="$COFFER" exec "$PY" "$BENCH/cluster.py"; fi
if [ "${KEYS_SCALE_ONLY:-0}" = 1 ]; then COFFER_BIN="$COFFER" OUT="$OUT" exec "$PY" "$BENCH/keys_scale.py"; fi

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
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
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
start_coffer

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
start_nginx / "$ENCRYPT_RESPONSE"

# ---------------------------------------------------------------- load runs
# Same request shape for nginx: the pre-signed Encrypt POST (nginx ignores it).
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

# ---------------------------------------------------------------- allocations
if [ "${SKIP_ALLOC:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" OUT="$OUT" bash "$BENCH/alloc.sh" | tee "$OUT/alloc.md" || log "allocation count failed"
fi

# ---------------------------------------------------------------- services
if [ "${SKIP_SERVICES:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" bash "$BENCH/services.sh" || die "services benchmark failed"
fi

# ---------------------------------------------------------------- s3
if [ "${SKIP_S3:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" bash "$BENCH/s3.sh" || die "S3 benchmark failed"
fi

# ---------------------------------------------------------------- hsm
if [ "${SKIP_HSM:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" "$PY" "$BENCH/hsm_encrypt.py" || die "HSM benchmark failed"
  COFFER_BIN="$COFFER" "$PY" "$BENCH/cloudhsm_encrypt.py" || die "CloudHSM key store benchmark failed"
fi

# ---------------------------------------------------------------- cluster
if [ "${SKIP_CLUSTER:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" "$PY" "$BENCH/cluster.py" || die "cluster benchmark failed"
fi

# ---------------------------------------------------------------- keys scale
if [ "${SKIP_KEYS_SCALE:-0}" != 1 ]; then
  COFFER_BIN="$COFFER" OUT="$OUT" "$PY" "$BENCH/keys_scale.py" | tee "$OUT/keys_scale.md" ||
    die "keys scale benchmark failed"
fi

# ---------------------------------------------------------------- report
rc=0
"$PY" "$BENCH/report.py" --out-dir "$OUT" --connections "$CONNECTIONS" --duration "$DURATION" \
  --threads "$THREADS" --wrk-threads "$WRK_THREADS" || rc=$?
if [ "$rc" -eq 2 ] && [ "${BENCH_STRICT:-0}" != 1 ]; then rc=0; fi
exit "$rc"
