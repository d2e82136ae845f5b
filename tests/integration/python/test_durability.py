"""Crash durability: SIGKILL the server under concurrent load, restart, verify.

Every CreateKey and Encrypt the server acknowledged before dying must survive:
the key still exists and the ciphertext still decrypts to its plaintext under
its encryption context. The kill is triggered by a count of acknowledged
operations, not by a timer.
"""

import os
import threading

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from conftest import make_kms

WORKERS = 8
ROUNDS = 3
KILL_AFTER = [40, 80, 120]  # acknowledged operations in each round before SIGKILL
ROUND_TIMEOUT_S = 120


class Ledger:
    """What the server acknowledged, shared by the worker threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = []          # KeyIds whose CreateKey returned 200
        self.ciphertexts = []   # (blob, plaintext, context, key_arn)
        self.acks = 0
        self.errors = []        # unexpected failures while the server was alive

    def add_key(self, key_id):
        with self.lock:
            self.keys.append(key_id)
            self.acks += 1
            return self.acks

    def add_ciphertext(self, entry):
        with self.lock:
            self.ciphertexts.append(entry)
            self.acks += 1
            return self.acks

    def record_error(self, error):
        with self.lock:
            self.errors.append(repr(error))

    def some_key(self, rng_byte):
        with self.lock:
            return self.keys[rng_byte % len(self.keys)] if self.keys else None


def worker(server, ledger, target, reached, killing, index):
    try:
        kms = make_kms(server, connect_timeout=5, read_timeout=30)
        n = 0
        while True:
            n += 1
            if n % 3 == 1 or ledger.some_key(0) is None:
                key_id = kms.create_key(Description=f"w{index}-{n}")["KeyMetadata"]["KeyId"]
                acks = ledger.add_key(key_id)
            else:
                key_id = ledger.some_key(os.urandom(1)[0])
                plaintext = os.urandom(1 + os.urandom(1)[0])
                context = {"worker": str(index), "n": str(n)}
                resp = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)
                acks = ledger.add_ciphertext((resp["CiphertextBlob"], plaintext, context,
                                              resp["KeyId"]))
            if acks >= target:
                reached.set()
    except (BotoConnectionError, HTTPClientError) as e:
        if not killing.is_set():  # the server went away before we killed it
            ledger.record_error(e)
    except Exception as e:  # noqa: BLE001 - any other failure under load is a finding
        ledger.record_error(e)
    finally:
        if not killing.is_set():
            reached.set()  # a worker that stops early must not leave the main thread waiting


def run_round(server, ledger, target):
    reached = threading.Event()
    killing = threading.Event()
    threads = [threading.Thread(target=worker, args=(server, ledger, target, reached, killing, i),
                                daemon=True) for i in range(WORKERS)]
    for t in threads:
        t.start()
    assert reached.wait(ROUND_TIMEOUT_S), f"load never reached {target} acknowledgements"
    assert not ledger.errors, f"unexpected errors under load: {ledger.errors[:3]}"
    killing.set()
    server.kill9()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a worker hung after the server was killed"
    assert not ledger.errors, f"unexpected errors under load: {ledger.errors[:3]}"


def verify(server, ledger):
    kms = make_kms(server)
    for key_id in ledger.keys:
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["KeyState"] == "Enabled", key_id
    for blob, plaintext, context, key_arn in ledger.ciphertexts:
        resp = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        assert resp["Plaintext"] == plaintext
        assert resp["KeyId"] == key_arn


def test_acknowledged_writes_survive_sigkill(fresh_server, tmp_path):
    data_dir = tmp_path / "durable"
    server = fresh_server(data_dir)
    original_creds = (server.creds.access_key_id, server.creds.secret_access_key)
    ledger = Ledger()
    total = 0
    for round_index in range(ROUNDS):
        total += KILL_AFTER[round_index]
        run_round(server, ledger, total)
        assert len(ledger.keys) > 0 and len(ledger.ciphertexts) > 0
        server.start()  # same data directory, new port
        assert (server.creds.access_key_id, server.creds.secret_access_key) == original_creds, \
            "credentials were regenerated on restart"
        verify(server, ledger)
    assert server.stop() == 0
