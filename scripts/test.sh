#!/usr/bin/env bash
# Builds everything, runs unit tests (ctest) and the integration suites, and
# ends with one line: "summary: N passed, M failed".
set -uo pipefail
build_dir="${1:-build}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
jobs="$(nproc)"

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
cmake --build "$build_dir" -j"$jobs" || exit 1

passed=0
failed=0

echo "== unit tests (ctest)"
unit_log="$(mktemp)"
bash scripts/unit_tests.sh "$build_dir" 2>&1 | tee "$unit_log"
unit_line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$unit_log" | tail -n 1)
if [[ -z $unit_line ]]; then unit_line="unit: 0 passed, 1 failed"; fi
passed=$((passed + $(echo "$unit_line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')))
failed=$((failed + $(echo "$unit_line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')))

echo "== integration tests"
integ_log="$(mktemp)"
COFFER_BIN="$repo/$build_dir/src/cli/coffer" bash tests/integration/run.sh 2>&1 | tee "$integ_log"
integ_rc=${PIPESTATUS[0]}
py_line=$(grep -E '^[=]* *[0-9]+ (passed|failed)' "$integ_log" | grep -E ' in [0-9.]+s' | tail -n 1)
py_passed=$(echo "$py_line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
py_failed=$(echo "$py_line" | grep -Eo '[0-9]+ (failed|errors?)' | awk '{s += $1} END {print s + 0}')
node_passed=$(grep -E '^# pass [0-9]+' "$integ_log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
node_failed=$(grep -E '^# fail [0-9]+' "$integ_log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
passed=$((passed + ${py_passed:-0} + ${node_passed:-0}))
failed=$((failed + ${py_failed:-0} + ${node_failed:-0}))
if [[ $integ_rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi

echo
echo "summary: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
