"""Existing integration suites, run again with every server on PostgreSQL.

A PostgreSQL server (Debian package, loopback, temp dir) is started here and
a nested pytest runs a representative slice of the KMS, Secrets Manager,
Parameter Store and S3 suites with COFFER_TEST_POSTGRES set: conftest.py then
gives each server it starts a database of its own (`--store postgresql://...`)
instead of SQLite. The slice is what runs on a single node whatever its store;
tests that kill -9 a server or read the SQLite file are not in it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cluster_helpers import PostgresServer

HERE = Path(__file__).resolve().parent

# file -> pytest -k expression (None: the whole file). Kept small so the
# whole cluster suite stays near two minutes on the shared 2-core machine.
SLICE = {
    "test_keys.py": None,
    "test_secrets.py": "(create or put or get_secret) and not rotation and not postgres and not policy",
    "test_ssm.py": "put_get or secure_string_through_kms or selectors or by_path or tags_and_delete",
    "test_s3.py": "bucket or (put and object) or list",
}


@pytest.fixture(scope="module")
def postgres():
    pg = PostgresServer().start()
    yield pg
    pg.destroy()


@pytest.mark.parametrize("test_file", sorted(SLICE))
def test_suite_passes_on_postgresql(postgres, test_file):
    env = dict(os.environ, COFFER_TEST_POSTGRES=postgres.base_url())
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", str(HERE / test_file)]
    if SLICE[test_file]:
        args += ["-k", SLICE[test_file]]
    out = subprocess.run(args, capture_output=True, text=True, env=env, cwd=HERE, timeout=900)
    tail = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, f"{test_file} on PostgreSQL failed:\n{tail}"
    summary = re.search(r"(\d+) passed", out.stdout)
    assert summary and int(summary.group(1)) > 0, f"no test ran:\n{tail}"
    # The servers really ran on PostgreSQL: their databases hold the kv table.
    databases = postgres.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'coffer_fixture_%'")
    assert int(databases) > 0
