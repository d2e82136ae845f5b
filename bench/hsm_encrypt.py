"""Encrypt and CreateKey throughput with the pkcs11 root key provider (SoftHSM2)
as a ratio to the file provider, both servers measured in the same run,
interleaved round by round so machine load hits both alike.

Encrypt unwraps key material once per key (the KeyStore cache), so it should
not depend on the provider; CreateKey wraps new material, which the token does.

Usage: COFFER_BIN=build/src/cli/coffer /usr/bin/python3 bench/hsm_encrypt.py
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration" / "python"))
from conftest import CofferServer, make_kms  # noqa: E402

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
THREADS = int(os.environ.get("HSM_BENCH_THREADS", "4"))
CALLS = int(os.environ.get("HSM_BENCH_CALLS", "300"))  # per thread per round
ROUNDS = int(os.environ.get("HSM_BENCH_ROUNDS", "3"))


def softhsm_token(root, label, pin):
    """A SoftHSM2 token store of its own under `root` (SOFTHSM2_CONF is set) with one token."""
    tokens = root / "tokens"
    tokens.mkdir(parents=True)
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "12345678",
                    "--pin", pin], check=True, capture_output=True)


def softhsm(root):
    softhsm_token(root, "bench", "87654321")
    pin = root / "pin"
    pin.write_text("87654321\n")
    pin.chmod(0o600)
    return ["--root-key-provider", "pkcs11", "--pkcs11-module", MODULE, "--pkcs11-token-label", "bench",
            "--pkcs11-pin-file", str(pin)]


def threaded_rate(srv, call, calls):
    """Calls per second of `call(client)`, `calls` times on each of THREADS threads."""
    clients = [make_kms(srv) for _ in range(THREADS)]

    def work(client):
        for _ in range(calls):
            call(client)
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return THREADS * calls / (time.perf_counter() - start)


def rate(srv, op, calls):
    key = make_kms(srv).create_key()["KeyMetadata"]["KeyId"]
    if op == "Encrypt":
        return threaded_rate(srv, lambda client: client.encrypt(KeyId=key, Plaintext=b"x" * 64), calls)
    return threaded_rate(srv, lambda client: client.create_key(), calls)


def main():
    root = Path(tempfile.mkdtemp(prefix="coffer-hsm-bench-"))
    pkcs11_args = softhsm(root / "hsm")
    common = ["--quotas", "false", "--audit", "false", "--threads", str(THREADS)]
    servers = {"file": CofferServer(root / "file", extra_args=common).start(),
               "pkcs11": CofferServer(root / "pkcs11", extra_args=common + pkcs11_args).start()}
    try:
        for op, calls in (("Encrypt", CALLS), ("CreateKey", max(10, CALLS // 10))):
            totals = {name: [] for name in servers}
            for _ in range(ROUNDS):
                for name, srv in servers.items():
                    totals[name].append(rate(srv, op, calls))
            best = {name: max(v) for name, v in totals.items()}
            print(f"{op}: file {best['file']:.0f}/s, pkcs11 {best['pkcs11']:.0f}/s, "
                  f"ratio {best['pkcs11'] / best['file']:.2f} (best of {ROUNDS} rounds, {THREADS} threads)")
    finally:
        for srv in servers.values():
            srv.stop()


if __name__ == "__main__":
    main()
