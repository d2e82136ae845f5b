"""scripts/unit_tests.sh counts unit results from ctest's exit status, not only
from its summary line (issue 17, item 5). A fake `ctest` on PATH plays each case."""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "unit_tests.sh"


def run_with_fake_ctest(tmp_path, output, status):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ctest"
    fake.write_text("#!/bin/sh\ncat <<'OUT'\n" + output + "\nOUT\nexit " + str(status) + "\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    build = tmp_path / "build"
    build.mkdir()
    proc = subprocess.run(["bash", str(SCRIPT), str(build)], env=env, capture_output=True, text=True, timeout=60)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("unit: ")]
    assert lines, proc.stdout + proc.stderr
    return proc.returncode, lines[-1]


def test_passing_run_is_counted(tmp_path):
    rc, line = run_with_fake_ctest(tmp_path, "100% tests passed, 0 tests failed out of 12", 0)
    assert (rc, line) == (0, "unit: 12 passed, 0 failed")


def test_failures_in_the_summary_are_counted(tmp_path):
    rc, line = run_with_fake_ctest(tmp_path, "75% tests passed, 3 tests failed out of 12", 8)
    assert rc != 0
    assert line == "unit: 9 passed, 3 failed"


def test_ctest_failing_without_a_summary_line_is_a_failure(tmp_path):
    rc, line = run_with_fake_ctest(tmp_path, "Segmentation fault", 139)
    assert rc != 0
    assert line == "unit: 0 passed, 1 failed"


def test_a_nonzero_exit_with_a_clean_summary_is_a_failure(tmp_path):
    rc, line = run_with_fake_ctest(tmp_path, "100% tests passed, 0 tests failed out of 5", 1)
    assert rc != 0
    assert line == "unit: 4 passed, 1 failed"


def test_no_unit_test_at_all_is_a_failure(tmp_path):
    rc, line = run_with_fake_ctest(tmp_path, "No tests were found!!!", 0)
    assert rc != 0
    assert line == "unit: 0 passed, 1 failed"


def test_clients_load_the_oracle_models_not_the_older_debian_ones():
    # Issue 17, item 6: the oracle path is found relative to the repository, so
    # boto3 knows the operations Debian's botocore 1.29 lacks.
    from conftest import KMS_MODEL_DIR, boto_session

    assert KMS_MODEL_DIR.is_dir()
    assert KMS_MODEL_DIR.is_relative_to(REPO.parent.resolve()) or "COFFER_ORACLES_DIR" in os.environ
    model = boto_session().client("kms", region_name="us-east-1").meta.service_model
    assert "RotateKeyOnDemand" in model.operation_names
    assert "ListKeyRotations" in model.operation_names
