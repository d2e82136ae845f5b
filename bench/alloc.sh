#!/usr/bin/env bash
# Heap allocations per request (issue 12): coffer runs under an LD_PRELOAD
# shim (bench/alloc_count.c) counting malloc/calloc/realloc/aligned calls; the
# counter is read (SIGUSR2) before and after a wrk run of one pre-signed
# request, and the difference is divided by wrk's completed requests.
# Counts every allocation of the process during the run: the request path,
# the audit writer, metrics, OpenSSL.
#
# Usage: COFFER_BIN=build/src/cli/coffer bash bench/alloc.sh
#   ALLOC_AUDIT [strict]   audit durability of the measured server
#   ALLOC_DURATION [3s]    length of each measured run
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="${OUT:-$BENCH/out}"
PY=/usr/bin/python3
COFFER="${COFFER_BIN:?COFFER_BIN names the coffer binary}"
THREADS="${THREADS:-$(nproc)}"
CONNECTIONS=4
WRK_THREADS=1
WARMUP=1s
DURATION="${ALLOC_DURATION:-3s}"
log() { printf '[alloc] %s\n' "$*" >&2; }
die() { printf '[alloc] FAIL: %s\n' "$*" >&2; exit 1; }

TMP="$(mktemp -d -t coffer-alloc.XXXXXX)"
COFFER_PID=""
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
cleanup() { local rc=$?; stop_pid "$COFFER_PID"; rm -rf "$TMP"; exit "$rc"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"

gcc -O2 -shared -fPIC -o "$TMP/alloc_count.so" "$BENCH/alloc_count.c" || die "cannot build the counting shim"
export ALLOC_COUNT_FILE="$TMP/counts"
LD_PRELOAD="$TMP/alloc_count.so" start_coffer --audit-durability "${ALLOC_AUDIT:-strict}"

read_count() {  # prints the counter after asking coffer to append it
  local before after
  before="$(wc -l <"$ALLOC_COUNT_FILE" 2>/dev/null || echo 0)"
  kill -USR2 "$COFFER_PID"
  for _ in $(seq 100); do
    after="$(wc -l <"$ALLOC_COUNT_FILE" 2>/dev/null || echo 0)"
    [ "$after" -gt "$before" ] && break
    sleep 0.05  # waiting for the signal handler's write, not for a result
  done
  tail -n 1 "$ALLOC_COUNT_FILE"
}

measure() {  # label operation body
  local label="$1" a b requests
  run_wrk "alloc-$label" "$ENDPOINT" "$2" "$3" >/dev/null
  a="$(read_count)"
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$OUT/alloc-$label.lua" "$ENDPOINT" >"$OUT/alloc-$label.count.txt" 2>&1
  b="$(read_count)"
  check_wrk "$OUT/alloc-$label.count.txt" "$label"
  requests="$(awk '/requests in/ {print $1}' "$OUT/alloc-$label.count.txt")"
  "$PY" -c 'import sys; a,b,n=map(int,sys.argv[2:5]); print(f"| {sys.argv[1]} | {n} | {(b-a)/n:.1f} |")' \
    "$label" "$a" "$b" "$requests"
}

KEY_ID="$(sign call --target CreateKey --body '{"Description":"alloc"}' | json_get KeyMetadata KeyId)"
EC_KEY="$(sign call --target CreateKey --body '{"KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"}' | json_get KeyMetadata KeyId)"
PLAINTEXT_B64="$("$PY" -c 'import base64; print(base64.b64encode(bytes(i % 256 for i in range(256))).decode())')"
ENCRYPT_BODY="{\"KeyId\":\"$KEY_ID\",\"Plaintext\":\"$PLAINTEXT_B64\",\"EncryptionContext\":{\"purpose\":\"bench\"}}"
CIPHERTEXT="$(sign call --target Encrypt --body "$ENCRYPT_BODY" | json_get CiphertextBlob)"
SIGN_BODY="{\"KeyId\":\"$EC_KEY\",\"Message\":\"$PLAINTEXT_B64\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}"
SIGNATURE="$(sign call --target Sign --body "$SIGN_BODY" | json_get Signature)"

echo "| operation (audit ${ALLOC_AUDIT:-strict}) | requests | allocations per request |"
echo "|---|---:|---:|"
measure Encrypt Encrypt "$ENCRYPT_BODY"
measure Decrypt Decrypt "{\"CiphertextBlob\":\"$CIPHERTEXT\",\"EncryptionContext\":{\"purpose\":\"bench\"}}"
measure GenerateDataKey GenerateDataKey "{\"KeyId\":\"$KEY_ID\",\"KeySpec\":\"AES_256\"}"
measure Sign-P256 Sign "$SIGN_BODY"
measure Verify-P256 Verify "{\"KeyId\":\"$EC_KEY\",\"Message\":\"$PLAINTEXT_B64\",\"SigningAlgorithm\":\"ECDSA_SHA_256\",\"Signature\":\"$SIGNATURE\"}"
