"""Request quotas across a cluster (docs/operations.md, "Quotas in a cluster"):
each node heartbeats in PostgreSQL and admits its share of every rate, the
configured rate divided by the live nodes. Two nodes under a 6/s quota admit
about 6 requests in a burst between them, not 6 each; a node that stops, or is
killed, drops out of the count and the survivor's share grows back.

Real parts only: Debian's PostgreSQL on loopback, two `coffer serve`
processes, boto3 without retries.
"""

import time

import pytest
from botocore.exceptions import ClientError

from audit_helpers import get_metrics, metric_value, write_config
from conftest import make_kms, wait_for
from test_cluster import CHECK_MS, Cluster
from test_cluster import postgres  # noqa: F401  (fixture)

RATE = 6  # symmetric requests per second for the whole cluster
QUOTAS = {"quotas": {"defaults": {"symmetric": RATE}}}
# A silent node leaves the count after 3 check intervals; the survivor hears
# it at its next heartbeat, one more interval later.
DROP_OUT_S = 4 * CHECK_MS / 1000


def log_says(node, text):
    return text in node.log_path.read_text(errors="replace")


@pytest.fixture
def two_nodes(postgres, tmp_path):  # noqa: F811
    c = Cluster(postgres, tmp_path / "cluster", extra_args=["--quota-config", write_config(tmp_path, QUOTAS)])
    a, b = c.add_node(), c.add_node()
    # b counted a at its first heartbeat; a hears of b within one interval.
    wait_for(lambda: log_says(a, "quotas: 2 live nodes share"), 10, "node a to count node b")
    assert log_says(b, "quotas: 2 live nodes share")
    yield c, a, b
    c.stop_all()


def burst(clients, key_id, calls):
    """Encrypts `calls` times round-robin over `clients`; (successes, throttles, seconds)."""
    ok = throttled = 0
    start = time.monotonic()
    for i in range(calls):
        try:
            clients[i % len(clients)].encrypt(KeyId=key_id, Plaintext=b"p")
            ok += 1
        except ClientError as err:
            assert err.response["Error"]["Code"] == "ThrottlingException", err.response
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            throttled += 1
    return ok, throttled, time.monotonic() - start


def test_two_nodes_together_admit_the_configured_rate_not_twice_it(two_nodes):
    _, a, b = two_nodes
    kms_a, kms_b = make_kms(a), make_kms(b, creds=a.creds)
    key_id = kms_a.create_key()["KeyMetadata"]["KeyId"]
    ok, throttled, seconds = burst([kms_a, kms_b], key_id, 40)
    # Each bucket starts full with one second of its share (3 + 3) and refills
    # at 3/s on each node: 6 + 6 per second of burst, plus one token of
    # rounding per node. Unshared buckets would admit 12 at once.
    assert ok >= RATE, f"only {ok} admitted: the nodes' shares are not both used"
    assert ok <= RATE + RATE * seconds + 2, f"{ok} admitted in {seconds:.2f}s against {RATE}/s for the cluster"
    assert throttled == 40 - ok
    for node in (a, b):
        _, _, text = get_metrics(node)
        assert metric_value(text, "coffer_quota_limit", account=a.creds.account_id, group="symmetric") == RATE / 2


def test_a_node_that_stops_leaves_its_share_to_the_others(two_nodes):
    c, a, b = two_nodes
    assert b.stop() == 0  # a clean stop removes b's heartbeat row at once
    wait_for(lambda: log_says(a, "quotas: 1 live nodes share"), 2 * CHECK_MS / 1000 + 5, "a to count itself alone")
    kms_a = make_kms(a)
    key_id = kms_a.create_key()["KeyMetadata"]["KeyId"]
    ok, _, seconds = burst([kms_a], key_id, 30)
    assert RATE <= ok <= RATE + RATE * seconds + 1


def test_a_killed_node_drops_out_of_the_count_within_the_bound(two_nodes):
    _, a, b = two_nodes
    b.kill9()  # no goodbye: its row must age out
    killed_at = time.monotonic()
    wait_for(lambda: log_says(a, "quotas: 1 live nodes share"), DROP_OUT_S + 5, "a to drop the killed node")
    assert time.monotonic() - killed_at <= DROP_OUT_S + 1.0
