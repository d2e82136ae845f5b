#!/usr/bin/env bash
# Sign and Verify over HTTP for RSA_2048 (RSASSA_PSS_SHA_256) and
# ECC_NIST_P256 (ECDSA_SHA_256), each printed as a ratio of `openssl speed`
# for the same primitive, measured in the same run on the same machine.
# Run alone:  ASYM_ONLY=1 make bench   (or: bash bench/asym.sh)
# Each configuration is one `coffer serve` run: "THREADS:DURABILITY", where
# THREADS 0 is the server's default (one IO thread per core) and DURABILITY is
# the audit trail's (strict is the default; batched syncs every 100 ms).
# Knobs: ASYM_CONFIGS ["0:strict 0:batched 1:batched"]
#        DURATION [10s] WARMUP [3s] CONNECTIONS [32] WRK_THREADS [1]
#        COFFER_BIN, BENCH_BUILD_DIR [build-bench] as in bench/run.sh
#        ASYM_SERVE_ARGS        extra `coffer serve` flags
#                          (quotas are always off: the load is far above AWS's
#                          asymmetric quotas of 300-500 requests/s)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
CONFIGS="${ASYM_CONFIGS:-0:strict 0:batched 1:batched}"
BUILD_DIR="${BENCH_BUILD_DIR:-$ROOT/build-bench}"
PY=/usr/bin/python3
log() { printf '[bench-asym] %s\n' "$*" >&2; }
die() { printf '[bench-asym] FAIL: %s\n' "$*" >&2; exit 1; }

for tool in wrk openssl; do command -v "$tool" >/dev/null 2>&1 || die "$tool missing (bench/run.sh installs it)"; done
COFFER="${COFFER_BIN:-$BUILD_DIR/src/cli/coffer}"
if [ -z "${COFFER_BIN:-}" ]; then
  [ -f "$BUILD_DIR/CMakeCache.txt" ] ||
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCOFFER_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target coffer >"$BUILD_DIR/asym-build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR/asym-build.log" >&2; die "build failed"; }
fi

TMP="$(mktemp -d -t coffer-bench-asym.XXXXXX)"
COFFER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$COFFER_PID" ]; then kill -TERM "$COFFER_PID" 2>/dev/null || true; wait "$COFFER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
mkdir -p "$OUT"

start_coffer() {  # threads durability
  rm -rf "$TMP/data" "$TMP/ready"
  "$COFFER" serve --data-dir "$TMP/data" --listen 127.0.0.1:0 --ready-file "$TMP/ready" \
    --threads "$1" --audit-durability "$2" --log-level warn --quotas false ${ASYM_SERVE_ARGS:-} \
    >"$TMP/coffer.log" 2>&1 &
  COFFER_PID=$!
  for _ in $(seq 100); do
    [ -s "$TMP/ready" ] && break
    kill -0 "$COFFER_PID" 2>/dev/null || { cat "$TMP/coffer.log" >&2; die "coffer exited"; }
    sleep 0.1  # polling for the ready file, not synchronising a result
  done
  [ -s "$TMP/ready" ] || die "coffer not ready after 10 s"
  ENDPOINT="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$TMP/ready")"
  CREDS="$TMP/data/credentials"
}
stop_coffer() { kill -TERM "$COFFER_PID"; wait "$COFFER_PID" || true; COFFER_PID=""; }
sign() { "$PY" "$BENCH/sign_request.py" "$@" --endpoint "$ENDPOINT" --credentials "$CREDS"; }
field() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

MESSAGE_B64="$("$PY" -c 'import base64; print(base64.b64encode(b"x" * 256).decode())')"
run_case() {  # config label spec algorithm
  local cfg="$1" label="$2" spec="$3" alg="$4" key sig
  key="$(sign call --target CreateKey --body "{\"KeySpec\":\"$spec\",\"KeyUsage\":\"SIGN_VERIFY\"}" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')"
  local body="{\"KeyId\":\"$key\",\"Message\":\"$MESSAGE_B64\",\"SigningAlgorithm\":\"$alg\"}"
  sig="$(sign call --target Sign --body "$body" | field Signature)" || die "Sign probe failed"
  local vbody="{\"KeyId\":\"$key\",\"Message\":\"$MESSAGE_B64\",\"Signature\":\"$sig\",\"SigningAlgorithm\":\"$alg\"}"
  sign call --target Verify --body "$vbody" >/dev/null || die "Verify probe failed"
  for op in Sign Verify; do
    local b="$body"
    [ "$op" = Verify ] && b="$vbody"
    sign wrk --target "$op" --body "$b" --out "$OUT/asym-$cfg-$op-$label.lua"
    log "[$cfg] $op $label: warm-up $WARMUP, then $DURATION at $CONNECTIONS connections"
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$OUT/asym-$cfg-$op-$label.lua" "$ENDPOINT" >/dev/null 2>&1 || true
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$OUT/asym-$cfg-$op-$label.lua" "$ENDPOINT" \
      >"$OUT/asym-$cfg-$op-$label.wrk.txt" 2>&1 || die "wrk failed for $op $label"
  done
}
for config in $CONFIGS; do
  threads="${config%%:*}" durability="${config#*:}"
  cfg="t${threads}-${durability}"
  start_coffer "$threads" "$durability"
  run_case "$cfg" rsa2048 RSA_2048 RSASSA_PSS_SHA_256
  run_case "$cfg" p256 ECC_NIST_P256 ECDSA_SHA_256
  stop_coffer
done

log "openssl speed -seconds 3 rsa2048 ecdsap256 (one process)"
openssl speed -seconds 3 rsa2048 ecdsap256 >"$OUT/asym-openssl-speed.txt" 2>&1
"$PY" "$BENCH/asym_report.py" --out-dir "$OUT" --configs "$CONFIGS" --connections "$CONNECTIONS" --cores "$(nproc)"
