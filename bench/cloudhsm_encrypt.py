"""Encrypt on a key in an AWS_CLOUDHSM custom key store (a SoftHSM2 token: every
call is a C_Encrypt in the token) as a ratio to Encrypt on a software key of the
same server, both measured in the same run, interleaved round by round so
machine load hits both alike.

Usage: COFFER_BIN=build/src/cli/coffer /usr/bin/python3 bench/cloudhsm_encrypt.py
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration" / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import CofferServer, make_kms  # noqa: E402
from hsm_encrypt import CALLS, MODULE, ROUNDS, THREADS, softhsm_token, threaded_rate  # noqa: E402

CLUSTER = "cluster-benchbenchbe"
PIN = "87654321"
TRUST_ANCHOR = (Path(__file__).resolve().parent / "cloudhsm_trust_anchor.pem").read_text()


def main():
    root = Path(tempfile.mkdtemp(prefix="coffer-cks-bench-"))
    softhsm_token(root / "hsm", "bench-cks", PIN)
    args = ["--quotas", "false", "--audit", "false", "--threads", str(THREADS),
            "--cloudhsm-cluster", f"{CLUSTER}={MODULE}:bench-cks"]
    srv = CofferServer(root / "data", extra_args=args).start()
    try:
        kms = make_kms(srv)
        store = kms.create_custom_key_store(CustomKeyStoreName="bench", CloudHsmClusterId=CLUSTER,
                                            TrustAnchorCertificate=TRUST_ANCHOR,
                                            KeyStorePassword=PIN)["CustomKeyStoreId"]
        kms.connect_custom_key_store(CustomKeyStoreId=store)
        keys = {"software": kms.create_key()["KeyMetadata"]["KeyId"],
                "cloudhsm": kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)["KeyMetadata"]["KeyId"]}
        totals = {name: [] for name in keys}
        for _ in range(ROUNDS):
            for name, key in keys.items():
                totals[name].append(threaded_rate(
                    srv, lambda client, key=key: client.encrypt(KeyId=key, Plaintext=b"x" * 64), CALLS))
        best = {name: max(v) for name, v in totals.items()}
        print(f"Encrypt: software key {best['software']:.0f}/s, AWS_CLOUDHSM key {best['cloudhsm']:.0f}/s, "
              f"ratio {best['cloudhsm'] / best['software']:.2f} (best of {ROUNDS} rounds, {THREADS} threads)")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
