#!/usr/bin/env bash
# 64 KiB PUT throughput with SSE-S3, SSE-KMS without and with an S3 Bucket
# Key, and DSSE-KMS, as ratios to SSE-S3 in the same run, plus KMS
# GenerateDataKey calls per 1,000 PUTs (from the audit trail). Target:
# SSE-KMS with a Bucket Key >= 0.9 x SSE-S3. Called by bench/s3.sh; alone:
#   COFFER_BIN=build/src/cli/coffer bash bench/s3_sse.sh
# Env: S3_SSE_WORKERS [8] client processes, S3_SSE_PUTS [250] PUTs each per
# round, S3_SSE_ROUNDS [3] measured rounds (after one warm-up round).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
THREADS="${THREADS:-$(nproc)}"
PY=/usr/bin/python3
log() { printf '[bench-s3-sse] %s\n' "$*" >&2; }
die() { printf '[bench-s3-sse] FAIL: %s\n' "$*" >&2; exit 1; }

COFFER="${COFFER_BIN:-}"
for candidate in "$ROOT/build-bench/src/cli/coffer" "$ROOT/build/src/cli/coffer"; do
  [ -n "$COFFER" ] || { [ -x "$candidate" ] && COFFER="$candidate"; } || true
done
[ -x "$COFFER" ] || die "no coffer binary (set COFFER_BIN or build the coffer target)"
mkdir -p "$OUT"
TMP="$(mktemp -d -t coffer-bench-s3-sse.XXXXXX)"
COFFER_PID=""
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
trap 'stop_pid "$COFFER_PID"; rm -rf "$TMP"' EXIT

start_coffer
"$PY" "$BENCH/s3_sse.py" --endpoint "$ENDPOINT" --credentials "$CREDS" --workers "${S3_SSE_WORKERS:-8}" \
  --puts "${S3_SSE_PUTS:-250}" --rounds "${S3_SSE_ROUNDS:-3}" | tee "$OUT/s3-sse.txt"
