#!/usr/bin/env bash
# Runs the unit tests (ctest -L unit) in a build directory and prints one line,
# "unit: N passed, M failed". ctest's exit status decides, not only its summary
# line: a crash before the summary counts as a failure, and so does a run in
# which no unit test ran. Exits non-zero when anything failed.
set -uo pipefail
build_dir="${1:?usage: unit_tests.sh BUILD_DIR}"
jobs="$(nproc)"
log="$(mktemp)"
(cd "$build_dir" && ctest --output-on-failure -j"$jobs" -L unit) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
total=$(grep -Eo 'tests failed out of [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+$')
failed=$(grep -Eo '[0-9]+ tests failed out of' "$log" | tail -n 1 | grep -Eo '^[0-9]+')
rm -f "$log"
total=${total:-0}
failed=${failed:-0}
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
  echo "unit_tests.sh: ctest exited with status $rc" >&2
  failed=1
fi
if [[ $total -eq 0 ]]; then
  echo "unit_tests.sh: no unit test ran" >&2
  failed=$((failed > 0 ? failed : 1))
fi
passed=$((total > failed ? total - failed : 0))
echo "unit: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
