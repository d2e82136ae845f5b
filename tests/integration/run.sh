#!/usr/bin/env bash
# Runs the Coffer integration suites against the built binary:
#   pytest (Debian's boto3 + awscli) and node --test (AWS SDK for JavaScript v3).
# COFFER_BIN overrides the binary path (default <repo>/build/src/cli/coffer).
# Exits non-zero if either runner failed; each runner's summary line is printed.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export COFFER_BIN="${COFFER_BIN:-$repo/build/src/cli/coffer}"

if [[ ! -x "$COFFER_BIN" ]]; then
  echo "run.sh: coffer binary not found at $COFFER_BIN (build it first)" >&2
  exit 2
fi

status=0

echo "== pytest (tests/integration/python)"
py_log="$(mktemp)"
(cd "$repo" && /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration/python) 2>&1 | tee "$py_log"
py_rc=${PIPESTATUS[0]}
[[ $py_rc -ne 0 ]] && status=1

echo "== node --test (tests/integration/node)"
node_rc=0
# (Re)install when node_modules is missing or was installed from another
# package-lock.json (a pull that adds a package must not test stale modules).
lock_sum="$(sha256sum "$here/node/package-lock.json" | cut -d' ' -f1)"
stamp="$here/node/node_modules/.coffer-lock-sha256"
if [[ ! -d "$here/node/node_modules" || "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  (cd "$here/node" && npm ci --no-audit --no-fund && echo "$lock_sum" >"$stamp") || node_rc=$?
fi
node_log="$(mktemp)"
if [[ $node_rc -eq 0 ]]; then
  (cd "$here/node" && node --test) 2>&1 | tee "$node_log"
  node_rc=${PIPESTATUS[0]}
fi
[[ $node_rc -ne 0 ]] && status=1

echo
echo "== summary"
py_summary="$(grep -E '(passed|failed|error)' "$py_log" | grep -E ' in [0-9.]+s' | tail -n 1)"
echo "pytest: ${py_summary:-no summary line} (exit $py_rc)"
node_summary="$(grep -E '^# (tests|pass|fail)' "$node_log" 2>/dev/null | tr '\n' ' ')"
echo "node:   ${node_summary:-no summary line} (exit $node_rc)"
rm -f "$py_log" "$node_log"
exit $status
