"""Three nodes on one PostgreSQL database behind haproxy (Debian's, started
here on loopback with a generated config, health checks on /healthz). Mixed
load (CreateKey, Encrypt, PutSecretValue) runs through haproxy while nodes are
killed with kill -9 one after another and restarted; afterwards every write
that was acknowledged is read back through the proxy.

A request that failed (the node died under it) may or may not have committed:
the check allows either for those, and demands the acknowledged ones.
"""

import subprocess
import threading
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cluster_helpers import PostgresServer, free_port
from conftest import boto_session, wait_for
from test_cluster import Cluster

KILL_ROUNDS = 3
ACKS_PER_PHASE = 15  # acknowledged writes between two events (kill, restart)
WORKERS = 3


class Proxy:
    def __init__(self, root, backends):
        self.port = free_port()
        self.config = root / "haproxy.cfg"
        servers = "\n".join(
            f"    server n{i} 127.0.0.1:{port} check inter 200ms fall 1 rise 2"
            for i, port in enumerate(backends))
        self.config.write_text(f"""
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout
frontend coffer
    bind 127.0.0.1:{self.port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz
{servers}
""")
        subprocess.run(["haproxy", "-c", "-f", str(self.config)], check=True, capture_output=True)
        self.log = open(root / "haproxy.log", "wb")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(self.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture
def postgres():
    pg = PostgresServer().start()
    yield pg
    pg.destroy()


def client(endpoint, creds, service):
    return boto_session().client(
        service, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=15))


class Ledger:
    """What the load acknowledged, and what it only attempted."""
    # secret_attempts[secret]: [value, version id or None] per PutSecretValue, in order.

    def __init__(self):
        self.mu = threading.Lock()
        self.keys = []         # acknowledged CreateKey ids
        self.ciphertexts = []  # (blob, plaintext) acknowledged by Encrypt
        self.secret_attempts = {}
        self.acks = 0
        self.errors = 0

    def ack(self):
        with self.mu:
            self.acks += 1


def worker(endpoint, creds, secret, ledger, stop):
    kms = client(endpoint, creds, "kms")
    sm = client(endpoint, creds, "secretsmanager")
    key_id = None
    n = 0
    while not stop.is_set():
        n += 1
        try:
            if key_id is None or n % 3 == 0:
                made = kms.create_key()["KeyMetadata"]["KeyId"]
                with ledger.mu:
                    ledger.keys.append(made)
                key_id = made
            elif n % 3 == 1:
                plaintext = f"{secret}-{n}".encode()
                blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
                with ledger.mu:
                    ledger.ciphertexts.append((blob, plaintext))
            else:
                value = f"{secret}-v{n}"
                attempts = ledger.secret_attempts.setdefault(secret, [])
                attempts.append([value, None])  # version id once acknowledged
                out = sm.put_secret_value(SecretId=secret, SecretString=value)
                attempts[-1][1] = out["VersionId"]
            ledger.ack()
        except (ClientError, BotoCoreError):
            with ledger.mu:
                ledger.errors += 1


def test_every_acknowledged_write_survives_kill_9_of_nodes(postgres, tmp_path):
    c = Cluster(postgres, tmp_path / "cluster", extra_args=["--quotas", "false"])
    for _ in range(3):
        c.add_node()
    proxy = Proxy(tmp_path, [n.port for n in c.nodes])
    try:
        creds = c.nodes[0].creds
        wait_for(lambda: _healthy(proxy.endpoint), 20, "haproxy to answer /healthz")
        sm = client(proxy.endpoint, creds, "secretsmanager")
        secrets = [f"load-{i}-{uuid.uuid4().hex[:6]}" for i in range(WORKERS)]
        for name in secrets:
            sm.create_secret(Name=name, SecretString="initial")
        ledger = Ledger()
        stop = threading.Event()
        threads = [threading.Thread(target=worker, args=(proxy.endpoint, creds, s, ledger, stop))
                   for s in secrets]
        for t in threads:
            t.start()
        try:
            for round_ in range(KILL_ROUNDS):
                _wait_for_acks(ledger, ACKS_PER_PHASE)
                victim = c.nodes[round_ % len(c.nodes)]
                victim.kill9()
                _wait_for_acks(ledger, ACKS_PER_PHASE)  # the survivors carry the load
                victim.restart_after_crash()
                assert victim.port == proxy_port_of(proxy, round_ % len(c.nodes)), "restarted on its port"
            _wait_for_acks(ledger, ACKS_PER_PHASE)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        _check_everything_acknowledged_is_there(proxy.endpoint, creds, ledger)
    finally:
        proxy.stop()
        c.stop_all()


def proxy_port_of(proxy, index):
    for line in proxy.config.read_text().splitlines():
        if line.strip().startswith(f"server n{index} "):
            return int(line.split()[2].split(":")[1])
    raise AssertionError(f"no server n{index} in the haproxy config")


def _healthy(endpoint):
    import urllib.request
    try:
        with urllib.request.urlopen(endpoint + "/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _wait_for_acks(ledger, count):
    with ledger.mu:
        target = ledger.acks + count
    wait_for(lambda: ledger.acks >= target, 60, f"{count} more acknowledged writes")


def _check_everything_acknowledged_is_there(endpoint, creds, ledger):
    kms = client(endpoint, creds, "kms")
    sm = client(endpoint, creds, "secretsmanager")
    assert ledger.keys and ledger.ciphertexts, "the load acknowledged writes of every kind"
    for key_id in ledger.keys:
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    for blob, plaintext in ledger.ciphertexts:
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    for secret, attempts in ledger.secret_attempts.items():
        acked = [i for i, (_, ok) in enumerate(attempts) if ok]
        assert acked, f"no PutSecretValue acknowledged for {secret}"
        for value, version_id in attempts:
            if version_id:
                got = sm.get_secret_value(SecretId=secret, VersionId=version_id)["SecretString"]
                assert got == value, f"{secret} version {version_id}"
        current = sm.get_secret_value(SecretId=secret)["SecretString"]
        # The last acknowledged value, or one attempted after it whose answer was lost.
        allowed = {attempts[acked[-1]][0]} | {v for v, _ in attempts[acked[-1] + 1:]}
        assert current in allowed, f"{secret}: current {current!r}, acknowledged last {attempts[acked[-1]][0]!r}"
