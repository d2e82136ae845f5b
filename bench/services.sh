#!/usr/bin/env bash
# Secrets Manager and Parameter Store reads over HTTP against an nginx static
# response of the same size, measured in the same run on the same machine:
# GetSecretValue (a 100-byte SecretString), GetParameter of a String, and
# GetParameter of a SecureString WithDecryption=true (default keys
# aws/secretsmanager and aws/ssm). Target: each >= 0.4 x nginx at 32
# connections. See docs/performance.md.
#
# Usage: bash bench/services.sh   (run by bench/run.sh unless SKIP_SERVICES=1;
#        SERVICES_ONLY=1 make bench runs only this part)
# Each operation is measured as nginx, coffer, nginx (the table uses the mean
# of the two nginx runs and shows both); nginx answers coffer's own response
# body for that operation from memory, with as many workers as coffer has IO
# threads.
# Knobs: DURATION [10s] WARMUP [3s] CONNECTIONS [32] WRK_THREADS [1]
#        THREADS [nproc]    coffer IO threads = nginx worker processes
#        COFFER_BIN         coffer binary (default build-bench/, then build/)
#        SERVICES_SERVE_ARGS  extra `coffer serve` flags, e.g.
#                           "--audit-durability batched" (quotas are always off)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
THREADS="${THREADS:-$(nproc)}"
PY=/usr/bin/python3
log() { printf '[bench-services] %s\n' "$*" >&2; }
die() { printf '[bench-services] FAIL: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null 2>&1 || die "wrk missing (bench/run.sh installs it)"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || die "nginx missing (bench/run.sh installs nginx-light)"
COFFER="${COFFER_BIN:-}"
for candidate in "$ROOT/build-bench/src/cli/coffer" "$ROOT/build/src/cli/coffer"; do
  [ -n "$COFFER" ] || { [ -x "$candidate" ] && COFFER="$candidate"; } || true
done
[ -x "$COFFER" ] || die "no coffer binary (set COFFER_BIN or build the coffer target)"

TMP="$(mktemp -d -t coffer-bench-services.XXXXXX)"
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
rm -f "$OUT"/services-*.wrk.txt "$OUT"/services-*.lua "$OUT/services-responses.tsv"

# shellcheck disable=SC2086  # SERVICES_SERVE_ARGS is a list of flags
start_coffer ${SERVICES_SERVE_ARGS:-}

# 100 bytes of letters and digits: no JSON escapes in the response, so nginx can
# return it verbatim.
VALUE="$("$PY" -c 'import string; a = string.ascii_letters + string.digits; print("".join(a[(i * 7) % len(a)] for i in range(100)))')"
sign call --service secretsmanager --target CreateSecret \
  --body "{\"Name\":\"bench/secret\",\"SecretString\":\"$VALUE\"}" >/dev/null || die "CreateSecret failed"
sign call --service ssm --target PutParameter \
  --body "{\"Name\":\"/bench/string\",\"Type\":\"String\",\"Value\":\"$VALUE\"}" >/dev/null || die "PutParameter String failed"
sign call --service ssm --target PutParameter \
  --body "{\"Name\":\"/bench/secure\",\"Type\":\"SecureString\",\"Value\":\"$VALUE\"}" >/dev/null ||
  die "PutParameter SecureString failed"

# label service operation body: one line each
CASES="GetSecretValue secretsmanager GetSecretValue {\"SecretId\":\"bench/secret\"}
GetParameter-String ssm GetParameter {\"Name\":\"/bench/string\"}
GetParameter-SecureString ssm GetParameter {\"Name\":\"/bench/secure\",\"WithDecryption\":true}"

nginx_args=()
while read -r label service op body <&3; do
  response="$(sign call --service "$service" --target "$op" --body "$body")" || die "$label probe failed"
  case "$response" in *"$VALUE"*) ;; *) die "$label: the response does not carry the value: $response";; esac
  printf '%s\t%s\n' "$label" "${#response}" >>"$OUT/services-responses.tsv"
  log "$label response is ${#response} bytes"
  nginx_args+=("/$label" "$response")
done 3<<<"$CASES"
start_nginx "${nginx_args[@]}"

while read -r label service op body <&3; do
  run_wrk "services-$label-nginx-before" "$NGINX_URL/$label" "$op" "$body" "$service"
  run_wrk "services-$label" "$ENDPOINT" "$op" "$body" "$service"
  run_wrk "services-$label-nginx-after" "$NGINX_URL/$label" "$op" "$body" "$service"
done 3<<<"$CASES"

stop_pid "$COFFER_PID"; COFFER_PID=""
stop_pid "$NGINX_PID"; NGINX_PID=""
"$PY" "$BENCH/services_report.py" --out-dir "$OUT" --connections "$CONNECTIONS" --duration "$DURATION" \
  --threads "$THREADS" --wrk-threads "$WRK_THREADS" --serve-args "${SERVICES_SERVE_ARGS:-}"
