#!/usr/bin/env bash
# Envelope throughput: `coffer encrypt/decrypt` streaming a large file (raw
# AES keyring, no KMS in the loop) against `openssl speed -evp aes-256-gcm`
# at 16 KB blocks measured in the same run, @aws-crypto/client-node on the
# same file, and `age` for scale; peak RSS of each run. See docs/performance.md.
#
# Usage: bash bench/envelope.sh   (run by bench/run.sh unless SKIP_ENVELOPE=1)
# Environment knobs (defaults in brackets):
#   ENVELOPE_BYTES [1073741824]  input size
#   ENVELOPE_DIR [/dev/shm]      where the input and ciphertexts live (tmpfs)
#   SKIP_NODE [0] SKIP_AGE [0]   leave out a comparison
#   COFFER_BIN                   coffer binary (default build-bench/src/cli/coffer, then build/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
BYTES="${ENVELOPE_BYTES:-1073741824}"
PY=/usr/bin/python3
log() { printf '[bench:envelope] %s\n' "$*" >&2; }
die() { printf '[bench:envelope] FAIL: %s\n' "$*" >&2; exit 1; }

COFFER="${COFFER_BIN:-}"
for candidate in "$ROOT/build-bench/src/cli/coffer" "$ROOT/build/src/cli/coffer"; do
  [ -n "$COFFER" ] || { [ -x "$candidate" ] && COFFER="$candidate"; } || true
done
[ -x "$COFFER" ] || die "no coffer binary (set COFFER_BIN or build the coffer target)"

need=()
[ -x /usr/bin/time ] || need+=(time)
[ "${SKIP_AGE:-0}" = 1 ] || command -v age >/dev/null 2>&1 || need+=(age)
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing: ${need[*]}"
  $SUDO apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}" >/dev/null
fi
NODE_DIR="$ROOT/tests/integration/node"
if [ "${SKIP_NODE:-0}" != 1 ] && [ ! -d "$NODE_DIR/node_modules/@aws-crypto/client-node" ]; then
  log "npm ci in $NODE_DIR"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund >/dev/null)
fi

WORK="$(mktemp -d "${ENVELOPE_DIR:-/dev/shm}/coffer-envelope-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
RESULTS="$OUT/envelope.tsv"
printf 'tool\top\tbytes\tseconds\tuser_seconds\tsys_seconds\tmax_rss_kb\n' >"$RESULTS"

head -c 32 /dev/urandom >"$WORK/aes.key"
log "input: $BYTES bytes in $WORK"
head -c "$BYTES" /dev/urandom >"$WORK/plain"

measure() {  # tool op command... ; appends one row (wall and CPU seconds, peak RSS)
  local tool="$1" op="$2"
  shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" || die "$tool $op failed"
  read -r secs user sys rss <"$WORK/time"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$op" "$BYTES" "$secs" "$user" "$sys" "$rss" >>"$RESULTS"
  log "$tool $op: ${secs}s wall, ${user}s user + ${sys}s sys CPU, peak RSS ${rss} KB"
}

log "openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3"
openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3 >"$OUT/openssl-speed-16k.txt" 2>&1

raw=(--raw-aes-key-file "$WORK/aes.key" --key-name bench --no-progress)
for suite in 0x0478 0x0578; do
  # Timed to /dev/null; the ciphertext for the decrypt run is made untimed.
  measure "coffer-$suite" encrypt sh -c '"$0" encrypt "$@" - - <"'"$WORK/plain"'" >/dev/null' \
    "$COFFER" "${raw[@]}" --suite "$suite"
  "$COFFER" encrypt "${raw[@]}" --suite "$suite" "$WORK/plain" "$WORK/coffer.enc"
  measure "coffer-$suite" decrypt sh -c '"$0" decrypt "$@" - - <"'"$WORK/coffer.enc"'" >/dev/null' \
    "$COFFER" "${raw[@]}" --release-unverified
  rm -f "$WORK/coffer.enc"
done
if [ "${SKIP_NODE:-0}" != 1 ]; then
  for suite in 0x0478 0x0578; do
    measure "node-$suite" encrypt node "$BENCH/envelope_node.mjs" encrypt "$suite" "$WORK/aes.key" "$WORK/plain" "$WORK/node.enc"
    measure "node-$suite" decrypt node "$BENCH/envelope_node.mjs" decrypt "$suite" "$WORK/aes.key" "$WORK/node.enc" /dev/null
  done
  rm -f "$WORK/node.enc"
fi

if [ "${SKIP_AGE:-0}" != 1 ]; then
  age-keygen -o "$WORK/age.key" 2>/dev/null
  recipient="$(age-keygen -y "$WORK/age.key")"
  measure age encrypt age -r "$recipient" -o "$WORK/age.enc" "$WORK/plain"
  measure age decrypt age -d -i "$WORK/age.key" -o /dev/null "$WORK/age.enc"
  rm -f "$WORK/age.enc"
fi

"$PY" "$BENCH/envelope_report.py" --results "$RESULTS" --openssl "$OUT/openssl-speed-16k.txt" --out "$OUT/envelope.md"
