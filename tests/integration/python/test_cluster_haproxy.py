"""The existing integration suites, run again through haproxy in front of a
three-node cluster (issue 19).

A PostgreSQL server (Debian package, loopback, temp dir) is started here and
a nested pytest runs the suites with COFFER_TEST_CLUSTER=3: conftest.py then
makes every server they start three `coffer serve` nodes on a fresh database
of their own, sharing root key, credentials, blob and audit directories,
behind one haproxy running the shipped deploy/haproxy.cfg (round robin per
request; cluster_mode.py). The tests
that need a single process are skipped there with their reason
(cluster_mode.EXCLUDED, also listed in docs/operations.md).

Before that, two checks of the proxy itself: requests really rotate over the
nodes, and the configuration keeps a client connection usable after a node
refused an upload from its headers.
"""

import os
import re
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import pytest

import cluster_mode
from cluster_helpers import PostgresServer
from conftest import CofferServer, make_kms
from test_s3 import make_s3, s3_error

HERE = Path(__file__).resolve().parent

# The suites run through the cluster, chosen for what a cluster can get
# wrong: cached keys, grants, policies and principals (KMS, authorization,
# aliases, accounts), versions and sweeps driven by the test clock (Secrets
# Manager, Parameter Store, rotation), object bytes in the shared blob
# directory (S3). test_asymmetric.py (key math, 27 s) and test_s3_policy.py
# (21 s) pass too (their TLS and SQLite tests excluded) but are left out to
# keep `make test` within budget.
SUITES = [
    "test_keys.py", "test_crypto.py", "test_aliases_tags.py", "test_rotation.py", "test_authorization.py",
    "test_accounts.py", "test_secrets.py", "test_ssm.py", "test_s3.py", "test_s3_versioning.py",
]


@pytest.fixture(scope="module")
def postgres():
    pg = PostgresServer().start()
    yield pg
    pg.destroy()


@pytest.fixture
def cluster(postgres, tmp_path):
    made = []

    def make():
        store = ["--store", postgres.url(postgres.new_database("haproxy"))]
        c = cluster_mode.CofferCluster(CofferServer, 3, tmp_path / f"c{len(made)}" / "data", False,
                                       ["--quotas", "false"], store)
        made.append(c)
        return c.start()

    yield make
    for c in made:
        if c.proc is not None:
            assert c.stop() == 0


def test_consecutive_requests_go_to_every_node(cluster):
    c = cluster()
    kms = make_kms(c)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for i in range(6):
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"round %d" % i)["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"round %d" % i
    per_node = c.requests_per_node()
    assert len(per_node) == 3 and sum(per_node) >= 13
    assert min(per_node) >= 4, f"round robin did not spread 13 requests over 3 nodes: {per_node}"


def test_the_shipped_haproxy_config_survives_an_upload_refused_from_its_headers(cluster):
    """boto3 sends PutObject/UploadPart with Expect: 100-continue and, when the
    answer comes before "100 Continue", reuses the connection without sending
    the body. A proxy that forwarded the Expect would then read the next
    request as that body (the node answers garbage: MethodNotAllowed); with
    `option http-buffer-request` haproxy answers the 100 itself."""
    s3 = make_s3(cluster())
    bucket = "hap-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    for _ in range(3):
        s3_error("NoSuchBucket", 404, s3.put_object, Bucket=bucket + "-missing", Key="k", Body=b"x")
        s3_error("InvalidDigest", 400, s3.put_object, Bucket=bucket, Key="k", Body=b"x", ContentMD5="not-base64!!")
        s3.put_object(Bucket=bucket, Key="k", Body=b"after a refusal")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"after a refusal"


def run_suites(postgres, tests):
    env = dict(os.environ, COFFER_TEST_POSTGRES=postgres.base_url(), COFFER_TEST_CLUSTER="3")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", *tests],
                          capture_output=True, text=True, env=env, cwd=HERE, timeout=1200)


# A node hears of another node's commit by NOTIFY, which can arrive after the
# client's next request: a test that writes cached KMS/IAM state and at once
# reads it through another node can fail once on a loaded machine (seen:
# test_keys.py::test_disable_and_enable_key, test_ssm.py::test_secure_string_through_kms;
# docs/operations.md, "Existing suites through haproxy"). Such a test is run
# again, once, on its own, and named in a warning; a test that fails again, or
# more than this many failures, fails the run.
MAX_RERUNS = 3


def test_the_suites_pass_through_haproxy_in_front_of_three_nodes(postgres):
    out = run_suites(postgres, SUITES)
    tail = out.stdout[-8000:] + out.stderr[-2000:]
    passed = re.search(r"(\d+) passed", out.stdout)
    assert passed and int(passed.group(1)) > 300, f"too few tests ran:\n{tail}"
    if out.returncode != 0:
        failed = re.findall(r"^(?:FAILED|ERROR) (\S+::\S+)", out.stdout, re.MULTILINE)
        assert 0 < len(failed) <= MAX_RERUNS, f"the suites through haproxy failed:\n{tail}"
        again = run_suites(postgres, failed)
        assert again.returncode == 0, (f"the suites through haproxy failed, and again on their own:\n{tail}\n"
                                       f"--- second run:\n{again.stdout[-6000:]}")
        warnings.warn(f"passed only when run again (cross-node read-your-writes gap): {failed}")
    # Exactly the listed exclusions were skipped, each with its reason.
    expected = sorted(t for t in cluster_mode.EXCLUDED if t.split("::")[0] in SUITES)
    skipped = re.findall(r"SKIPPED \[(\d+)\] ([^\s:]+)(?::\d+)?: cluster mode:", out.stdout)
    assert sum(int(n) for n, _ in skipped) == len(expected), tail
    assert sorted(f for n, f in skipped for _ in range(int(n))) == [t.split("::")[0] for t in expected], tail
