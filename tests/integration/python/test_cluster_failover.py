"""Three nodes on one PostgreSQL database behind haproxy (Debian's, started
here on loopback with a generated config, health checks on /healthz), sharing
one S3 blob directory (--s3-blob-dir). Mixed load (CreateKey, Encrypt,
PutSecretValue, PutObject) runs through haproxy while nodes are killed with
kill -9 one after another and restarted; afterwards every write that was
acknowledged is read back through the proxy (object bytes included, whichever
node serves them).

A request that failed (the node died under it) may or may not have committed:
the check allows either for those, and demands the acknowledged ones.
"""

import os
import threading
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cluster_helpers import Haproxy as Proxy
from cluster_helpers import PostgresServer, answers_healthz
from conftest import boto_session, wait_for
from test_cluster import Cluster

BUCKET = "failover"

KILL_ROUNDS = 4
ACKS_PER_PHASE = 15  # acknowledged writes between two events (kill, restart)
WORKERS = 3


@pytest.fixture
def postgres():
    pg = PostgresServer().start()
    yield pg
    pg.destroy()


def client(endpoint, creds, service):
    return boto_session().client(
        service, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=15,
                      s3={"addressing_style": "path"}))


class Ledger:
    """What the load acknowledged, and what it only attempted."""
    # secret_attempts[secret]: [value, version id or None] per PutSecretValue, in order.

    def __init__(self):
        self.mu = threading.Lock()
        self.keys = []         # acknowledged CreateKey ids
        self.ciphertexts = []  # (blob, plaintext) acknowledged by Encrypt
        self.objects = []      # (key, body) acknowledged by PutObject
        self.secret_attempts = {}
        self.acks = 0
        self.errors = 0
        self.failures = []     # (operation, HTTP status, error code, seconds) of refused requests
        self.transport = []    # (operation, error, seconds): no answer at all

    def ack(self):
        with self.mu:
            self.acks += 1


OPERATIONS = ("CreateKey", "Encrypt", "PutSecretValue", "PutObject")


def run_one(operation, clients, secret, n, state, ledger):
    """One request of the mixed load; records what it acknowledged."""
    if operation == "CreateKey" or state.get("key_id") is None:
        made = clients["kms"].create_key()["KeyMetadata"]["KeyId"]
        with ledger.mu:
            ledger.keys.append(made)
        state["key_id"] = made
    elif operation == "Encrypt":
        plaintext = f"{secret}-{n}".encode()
        blob = clients["kms"].encrypt(KeyId=state["key_id"], Plaintext=plaintext)["CiphertextBlob"]
        with ledger.mu:
            ledger.ciphertexts.append((blob, plaintext))
    elif operation == "PutSecretValue":
        value = f"{secret}-v{n}"
        attempts = ledger.secret_attempts.setdefault(secret, [])
        attempts.append([value, None])  # version id once acknowledged
        out = clients["secretsmanager"].put_secret_value(SecretId=secret, SecretString=value)
        attempts[-1][1] = out["VersionId"]
    else:
        key, body = f"{secret}/{n}", os.urandom(1000 + 97 * (n % 200))
        clients["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)
        with ledger.mu:
            ledger.objects.append((key, body))


def worker(endpoints, creds, secret, ledger, stop):
    """Runs the mixed load until `stop`, request i going to endpoints[i % len]."""
    per_endpoint = [{service: client(e, creds, service) for service in ("kms", "secretsmanager", "s3")}
                    for e in endpoints]
    state = {}
    n = 0
    while not stop.is_set():
        n += 1
        operation = OPERATIONS[n % len(OPERATIONS)]
        started = time.monotonic()
        try:
            run_one(operation, per_endpoint[n % len(per_endpoint)], secret, n, state, ledger)
            ledger.ack()
        except ClientError as err:
            meta = err.response.get("ResponseMetadata", {})
            with ledger.mu:
                ledger.errors += 1
                ledger.failures.append((operation, meta.get("HTTPStatusCode"),
                                        err.response.get("Error", {}).get("Code"), time.monotonic() - started))
        except BotoCoreError as err:
            with ledger.mu:
                ledger.errors += 1
                ledger.transport.append((operation, repr(err), time.monotonic() - started))


def start_load(endpoints, creds, ledger, workers=WORKERS):
    """Creates the load's secrets and bucket, starts the workers; returns (stop event, threads)."""
    sm = client(endpoints[0], creds, "secretsmanager")
    client(endpoints[0], creds, "s3").create_bucket(Bucket=BUCKET)
    secrets = [f"load-{i}-{uuid.uuid4().hex[:6]}" for i in range(workers)]
    for name in secrets:
        sm.create_secret(Name=name, SecretString="initial")
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(endpoints, creds, s, ledger, stop)) for s in secrets]
    for t in threads:
        t.start()
    return stop, threads


def stop_load(stop, threads):
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a load worker hung"


def test_every_acknowledged_write_survives_kill_9_of_nodes(postgres, tmp_path):
    shared = tmp_path / "shared-blobs"
    c = Cluster(postgres, tmp_path / "cluster", extra_args=["--quotas", "false", "--s3-blob-dir", str(shared)])
    for _ in range(3):
        c.add_node()
    proxy = Proxy(tmp_path, [n.port for n in c.nodes])
    try:
        creds = c.nodes[0].creds
        wait_for(lambda: answers_healthz(proxy.endpoint), 20, "haproxy to answer /healthz")
        ledger = Ledger()
        stop, threads = start_load([proxy.endpoint], creds, ledger)
        try:
            for round_ in range(KILL_ROUNDS):
                wait_for_acks(ledger, ACKS_PER_PHASE)
                victim = c.nodes[round_ % len(c.nodes)]
                victim.kill9()
                wait_for_acks(ledger, ACKS_PER_PHASE)  # the survivors carry the load
                victim.restart_after_crash()
                assert victim.port == proxy_port_of(proxy, round_ % len(c.nodes)), "restarted on its port"
            wait_for_acks(ledger, ACKS_PER_PHASE)
        finally:
            stop_load(stop, threads)
        check_everything_acknowledged_is_there(proxy.endpoint, creds, ledger)
    finally:
        proxy.stop()
        c.stop_all()


def proxy_port_of(proxy, index):
    for line in proxy.config.read_text().splitlines():
        if line.strip().startswith(f"server n{index} "):
            return int(line.split()[2].split(":")[1])
    raise AssertionError(f"no server n{index} in the haproxy config")


def wait_for_acks(ledger, count, timeout_s=60):
    with ledger.mu:
        target = ledger.acks + count
    wait_for(lambda: ledger.acks >= target, timeout_s, f"{count} more acknowledged writes")


def check_everything_acknowledged_is_there(endpoint, creds, ledger):
    kms = client(endpoint, creds, "kms")
    sm = client(endpoint, creds, "secretsmanager")
    s3 = client(endpoint, creds, "s3")
    assert ledger.keys and ledger.ciphertexts and ledger.objects, "the load acknowledged writes of every kind"
    for key_id in ledger.keys:
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    for blob, plaintext in ledger.ciphertexts:
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    for key, body in ledger.objects:
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == body, f"object {key}"
    assert any(v for attempts in ledger.secret_attempts.values() for _, v in attempts), \
        f"the load acknowledged no PutSecretValue; refused: {ledger.failures[:10]}"
    for secret, attempts in ledger.secret_attempts.items():
        acked = [i for i, (_, ok) in enumerate(attempts) if ok]
        for value, version_id in attempts:
            if version_id:
                got = sm.get_secret_value(SecretId=secret, VersionId=version_id)["SecretString"]
                assert got == value, f"{secret} version {version_id}"
        current = sm.get_secret_value(SecretId=secret)["SecretString"]
        # The last acknowledged value (the initial one when a slow worker's few
        # attempts all met a failure), or one attempted after it whose answer was lost.
        last = acked[-1] if acked else -1
        allowed = {attempts[last][0] if acked else "initial"} | {v for v, _ in attempts[last + 1:]}
        assert current in allowed, f"{secret}: current {current!r}, attempts {attempts}"
