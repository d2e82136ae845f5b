#!/usr/bin/env bash
# Encrypt throughput with the audit trail in strict mode (each response waits
# for its event to be fsync'd, group-committed) against batched mode (flush
# every <= 200 ms), measured back to back on the same machine. Target: strict
# >= 0.7 x batched. See docs/performance.md.
#
# Usage: bash bench/audit_modes.sh   (also run at the end of bench/run.sh;
#        BENCH_AUDIT_ONLY=1 make bench runs only this part)
# Environment: COFFER_BIN (required), DURATION [10s], WARMUP [3s],
#   CONNECTIONS [32], WRK_THREADS [1], THREADS [nproc], OUT [bench/out]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="${OUT:-$BENCH/out}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
THREADS="${THREADS:-$(nproc)}"
COFFER="${COFFER_BIN:?set COFFER_BIN}"
PY=/usr/bin/python3
TARGET=0.7

log() { printf '[bench-audit] %s\n' "$*" >&2; }
die() { printf '[bench-audit] FAIL: %s\n' "$*" >&2; exit 1; }

TMP="$(mktemp -d -t coffer-bench-audit.XXXXXX)"
PID=""
stop() {
  [ -n "$PID" ] || return 0
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}
trap 'stop; rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

measure() {  # mode -> writes $OUT/audit-<mode>.wrk.txt
  local mode="$1" dir="$TMP/$1"
  # Quotas off: the benchmark runs far beyond AWS's default symmetric quota.
  "$COFFER" serve --data-dir "$dir" --listen 127.0.0.1:0 --ready-file "$dir.ready" --threads "$THREADS" \
    --log-level warn --quotas false --audit-durability "$mode" >"$dir.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do [ -s "$dir.ready" ] && break; sleep 0.1; done
  [ -s "$dir.ready" ] || { cat "$dir.log" >&2; die "coffer ($mode) not ready"; }
  local endpoint key body
  endpoint="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$dir.ready")"
  key="$("$PY" "$BENCH/sign_request.py" call --endpoint "$endpoint" --credentials "$dir/credentials" \
    --target CreateKey --body '{}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')"
  body="{\"KeyId\":\"$key\",\"Plaintext\":\"$("$PY" -c 'import base64; print(base64.b64encode(bytes(256)).decode())')\"}"
  "$PY" "$BENCH/sign_request.py" wrk --endpoint "$endpoint" --credentials "$dir/credentials" \
    --target Encrypt --body "$body" --out "$TMP/$mode.lua"
  log "$mode: warm-up $WARMUP, then $DURATION at $CONNECTIONS connections"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$TMP/$mode.lua" "$endpoint" >/dev/null 2>&1 || true
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$TMP/$mode.lua" "$endpoint" \
    >"$OUT/audit-$mode.wrk.txt" 2>&1 || { cat "$OUT/audit-$mode.wrk.txt" >&2; die "wrk ($mode) failed"; }
  grep -q 'Non-2xx' "$OUT/audit-$mode.wrk.txt" && { cat "$OUT/audit-$mode.wrk.txt" >&2; die "$mode: non-2xx"; }
  stop
  # The trail written under load must verify.
  "$COFFER" audit verify --dir "$dir/audit" >"$OUT/audit-$mode.verify.json" ||
    { cat "$OUT/audit-$mode.verify.json" >&2; die "$mode: audit verify failed"; }
}

measure batched
measure strict
"$PY" - "$OUT" "$TARGET" <<'PY'
import json, re, sys
out, target = sys.argv[1], float(sys.argv[2])
def parse(mode):
    text = open(f"{out}/audit-{mode}.wrk.txt").read()
    rps = float(re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)
    records = json.load(open(f"{out}/audit-{mode}.verify.json"))["records"]
    return rps, p99, records
b, s = parse("batched"), parse("strict")
ratio = s[0] / b[0]
lines = ["| Audit mode | Encrypt req/s | p99 | records verified |", "|---|---|---|---|",
         f"| batched (flush <= 200 ms) | {b[0]:.0f} | {b[1]} | {b[2]} |",
         f"| strict (response after fsync) | {s[0]:.0f} | {s[1]} | {s[2]} |",
         "", f"strict / batched = {ratio:.2f} (target >= {target}): {'PASS' if ratio >= target else 'FAIL'}"]
text = "\n".join(lines)
print(text)
open(f"{out}/audit-results.md", "w").write(text + "\n")
PY
