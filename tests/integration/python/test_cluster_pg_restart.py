"""PostgreSQL stops under load and comes back (pg_ctl stop -m fast, then
start on the same port): two nodes sharing one database and one blob
directory keep running, answer requests during the outage with an
AWS-shaped 5xx error within a deadline (never a hang, never a crash),
reconnect by themselves, and afterwards every acknowledged write (CreateKey,
Encrypt, PutSecretValue, PutObject) is there. GET /healthz answers 503
(naming the store) while PostgreSQL is down and 200 again once it is back,
so a load balancer takes the nodes out for the outage.

Real parts only: Debian's PostgreSQL on loopback (cluster_helpers.py), two
`coffer serve` processes, boto3 without retries.
"""

from cluster_helpers import healthz
from conftest import wait_for
from test_cluster import Cluster
from test_cluster_failover import postgres  # noqa: F401  (fixture)
from test_cluster_failover import (Ledger, check_everything_acknowledged_is_there, client, start_load,
                                   stop_load, wait_for_acks)

ACKS_PER_PHASE = 12
# What a request may take while PostgreSQL is away: the store's connect
# timeout (5 s) or pool wait (5 s), with room for a slow CI machine.
DEADLINE_S = 12
STORE_DOWN = (503, {"status": "unavailable", "failing": "store"})


def test_nodes_ride_out_a_postgresql_restart_under_load(postgres, tmp_path):  # noqa: F811
    shared = tmp_path / "shared-blobs"
    c = Cluster(postgres, tmp_path / "cluster", extra_args=["--quotas", "false", "--s3-blob-dir", str(shared)])
    try:
        a, b = c.add_node(), c.add_node()
        ride_out_a_restart(postgres, a, b)
    finally:
        c.stop_all()


def ride_out_a_restart(postgres, a, b):
    ledger = Ledger()
    stop, threads = start_load([a.endpoint, b.endpoint], a.creds, ledger, workers=2)
    try:
        wait_for_acks(ledger, ACKS_PER_PHASE)
        with ledger.mu:
            failed_before = len(ledger.failures)
        assert healthz(a.endpoint)[0] == 200 and healthz(b.endpoint)[0] == 200
        postgres.stop(mode="fast")
        # /healthz pings the store at most once a second: 503 within a few.
        for node in (a, b):
            wait_for(lambda n=node: healthz(n.endpoint) == STORE_DOWN, 15,
                     "/healthz 503 while PostgreSQL is down")
        # The outage lasts until the load has met it a few times.
        wait_for(lambda: len(ledger.failures) >= failed_before + 4, 60, "requests refused during the outage")
        postgres.start()
        for node in (a, b):
            wait_for(lambda n=node: healthz(n.endpoint)[0] == 200, 15, "/healthz 200 once PostgreSQL is back")
        wait_for_acks(ledger, 2 * ACKS_PER_PHASE)  # the nodes reconnected on their own
    finally:
        stop_load(stop, threads)
    assert a.crashed() is None and b.crashed() is None, "a node died with PostgreSQL"
    # Every secret takes writes again on both nodes (none is left wedged by the outage).
    for node in (a, b):
        sm = client(node.endpoint, a.creds, "secretsmanager")
        for secret, attempts in ledger.secret_attempts.items():
            value = f"{secret}-after-{node.port}"
            attempts.append([value, None])
            attempts[-1][1] = sm.put_secret_value(SecretId=secret, SecretString=value)["VersionId"]
    assert not ledger.transport, f"requests got no answer: {ledger.transport[:5]}"
    for operation, status, code, seconds in ledger.failures:
        assert status is not None and 500 <= status < 600, f"{operation}: HTTP {status} {code}"
        assert code, f"{operation}: HTTP {status} without an AWS error code"
        assert seconds <= DEADLINE_S, f"{operation} took {seconds:.1f}s to fail"
    check_everything_acknowledged_is_there(a.endpoint, a.creds, ledger)
    check_everything_acknowledged_is_there(b.endpoint, a.creds, ledger)
