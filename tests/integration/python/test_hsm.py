"""The pkcs11 root key provider end to end: a real SoftHSM2 token in a
temporary directory, the real `coffer serve` over it, boto3 as the client.

SoftHSM2 is a test dependency (scripts/install-deps.sh installs softhsm2 and
opensc): when it is missing these tests fail, they do not skip.
"""

import json
import os
import re
import sys
import subprocess
from pathlib import Path

import pytest

from botocore.config import Config

from conftest import COFFER_BIN, CofferServer, boto_session, make_kms

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "coffer-test"
USER_PIN = "71938264"
SO_PIN = "10293847"
KEY_LABEL = "coffer-root-key"


class SoftHsm:
    """A SoftHSM2 token store of its own; SOFTHSM2_CONF is set for the test."""

    def __init__(self, root, monkeypatch):
        assert Path(SOFTHSM_MODULE).is_file(), f"{SOFTHSM_MODULE} missing: install softhsm2"
        self.root = Path(root)
        self.tokens = self.root / "tokens"
        self.tokens.mkdir(parents=True)
        conf = self.root / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\n"
                        "log.level = ERROR\nslots.removable = false\n")
        monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
        self.pin_file = self.root / "pin"
        self.pin_file.write_text(USER_PIN + "\n")
        self.pin_file.chmod(0o600)

    def init_token(self, label=TOKEN_LABEL):
        out = subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                              "--so-pin", SO_PIN, "--pin", USER_PIN],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"softhsm2-util failed: {out.stdout}{out.stderr}"

    def serve_args(self, label=TOKEN_LABEL):
        return ["--root-key-provider", "pkcs11", "--pkcs11-module", SOFTHSM_MODULE,
                "--pkcs11-token-label", label, "--pkcs11-pin-file", str(self.pin_file)]

    def secret_key_labels(self, label=TOKEN_LABEL):
        """Labels of the secret keys on the token, as OpenSC's pkcs11-tool lists them."""
        out = subprocess.run(["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", label,
                              "--login", "--pin", USER_PIN, "--list-objects", "--type", "secrkey"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return [line.split(":", 1)[1].strip() for line in out.stdout.splitlines()
                if line.strip().startswith("label:")]


@pytest.fixture
def hsm(tmp_path, monkeypatch):
    token = SoftHsm(tmp_path / "softhsm", monkeypatch)
    token.init_token()
    return token


def root_key_files(data_dir):
    return sorted(p.name for p in Path(data_dir).iterdir() if p.name.startswith("root."))


def kms_round_trip(kms):
    """Creates keys and returns what a later start must still be able to use."""
    key_id = kms.create_key(Description="in the token's care")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"attack at dawn",
                       EncryptionContext={"purpose": "hsm-test"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "hsm-test"})["Plaintext"] == \
        b"attack at dawn"
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    sign_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=sign_key, Message=b"release 1.0",
                         SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert kms.verify(KeyId=sign_key, Message=b"release 1.0", Signature=signature,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    return {"blob": blob, "data_key": data_key, "sign_key": sign_key, "signature": signature}


def test_kms_round_trip_with_the_root_key_in_the_token(fresh_server, hsm, tmp_path):
    data_dir = tmp_path / "data"
    srv = fresh_server(data_dir=data_dir, extra_args=hsm.serve_args())
    saved = kms_round_trip(make_kms(srv))
    assert root_key_files(data_dir) == [], "the data directory must hold no root key"
    assert hsm.secret_key_labels() == [KEY_LABEL]
    assert srv.stop() == 0

    # A restart finds the same key in the token: the admin's access key (its
    # secret is wrapped by the token), the KMS keys and their ciphertexts work.
    srv.start()
    kms = make_kms(srv)
    assert kms.decrypt(CiphertextBlob=saved["blob"], EncryptionContext={"purpose": "hsm-test"})["Plaintext"] == \
        b"attack at dawn"
    assert kms.decrypt(CiphertextBlob=saved["data_key"]["CiphertextBlob"])["Plaintext"] == \
        saved["data_key"]["Plaintext"]
    assert kms.verify(KeyId=saved["sign_key"], Message=b"release 1.0", Signature=saved["signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    kms_round_trip(kms)
    assert hsm.secret_key_labels() == [KEY_LABEL], "a restart must not generate a second root key"
    assert root_key_files(data_dir) == []


def test_a_custom_key_label_names_the_root_key(fresh_server, hsm, tmp_path):
    srv = fresh_server(data_dir=tmp_path / "data",
                       extra_args=hsm.serve_args() + ["--pkcs11-key-label", "tenant-a-root"])
    kms_round_trip(make_kms(srv))
    assert hsm.secret_key_labels() == ["tenant-a-root"]


def start_fails(data_dir, args):
    srv = CofferServer(data_dir, extra_args=args)
    with pytest.raises(RuntimeError) as info:
        srv.start()
    srv._close()
    return str(info.value)


def test_a_pin_file_others_can_read_is_refused(hsm, tmp_path):
    hsm.pin_file.chmod(0o640)
    log = start_fails(tmp_path / "data", hsm.serve_args())
    assert "chmod 600" in log
    assert USER_PIN not in log


def test_a_wrong_pin_is_refused_and_not_logged(hsm, tmp_path):
    hsm.pin_file.write_text("00000000\n")
    log = start_fails(tmp_path / "data", hsm.serve_args())
    assert "CKR_PIN_INCORRECT" in log
    assert "00000000" not in log


def test_an_unknown_token_is_refused(hsm, tmp_path):
    log = start_fails(tmp_path / "data", hsm.serve_args(label="no-such-token"))
    assert "no PKCS#11 token labelled 'no-such-token'" in log


def test_the_pkcs11_options_are_required(tmp_path):
    log = start_fails(tmp_path / "data", ["--root-key-provider", "pkcs11"])
    assert "needs --pkcs11-module" in log


# --------------------------------------------------------------------------
# coffer admin migrate-root-key
# --------------------------------------------------------------------------

def make_client(srv, service, access_key_id=None, secret=None, token=None):
    cfg = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, signature_version="s3v4") \
        if service == "s3" else Config(retries={"max_attempts": 1})
    return boto_session().client(service, region_name="us-east-1", endpoint_url=srv.endpoint,
                                 aws_access_key_id=access_key_id or srv.creds.access_key_id,
                                 aws_secret_access_key=secret or srv.creds.secret_access_key,
                                 aws_session_token=token, config=cfg)


def fill_every_kind_of_wrapped_secret(srv):
    """Stores one of each thing the root key wraps, returns how to read it back."""
    saved = kms_round_trip(make_kms(srv))
    kms = make_kms(srv)
    imported = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    kms.get_parameters_for_import(KeyId=imported, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                  WrappingKeySpec="RSA_2048")
    saved["imported"] = imported
    iam = make_client(srv, "iam")
    iam.create_user(UserName="migrated")
    key = iam.create_access_key(UserName="migrated")["AccessKey"]
    saved["user_key"] = (key["AccessKeyId"], key["SecretAccessKey"])
    session = make_client(srv, "sts").get_session_token(DurationSeconds=3600)["Credentials"]
    saved["session"] = (session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    s3 = make_client(srv, "s3")
    s3.create_bucket(Bucket="migrated")
    s3.put_object(Bucket="migrated", Key="a.txt", Body=b"object body " * 1000)
    s3.put_object(Bucket="migrated", Key="empty", Body=b"")
    make_client(srv, "secretsmanager").create_secret(Name="db", SecretString="hunter2")
    make_client(srv, "ssm").put_parameter(Name="/app/pw", Value="s3cr3t", Type="SecureString")
    return saved


def read_everything_back(srv, saved):
    kms = make_kms(srv)
    assert kms.decrypt(CiphertextBlob=saved["blob"], EncryptionContext={"purpose": "hsm-test"})["Plaintext"] == \
        b"attack at dawn"
    assert kms.verify(KeyId=saved["sign_key"], Message=b"release 1.0", Signature=saved["signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    # The import wrapping key, rewrapped, still serves GetParametersForImport.
    kms.get_parameters_for_import(KeyId=saved["imported"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                  WrappingKeySpec="RSA_2048")
    user = make_client(srv, "sts", *saved["user_key"]).get_caller_identity()
    assert user["Arn"].endswith(":user/migrated")
    assert "Keys" in make_client(srv, "kms", *saved["session"]).list_keys()
    body = make_client(srv, "s3").get_object(Bucket="migrated", Key="a.txt")["Body"].read()
    assert body == b"object body " * 1000
    assert make_client(srv, "s3").get_object(Bucket="migrated", Key="empty")["Body"].read() == b""
    assert make_client(srv, "secretsmanager").get_secret_value(SecretId="db")["SecretString"] == "hunter2"
    assert make_client(srv, "ssm").get_parameter(Name="/app/pw", WithDecryption=True)["Parameter"]["Value"] == \
        "s3cr3t"


def migrate(data_dir, source, to, hsm, check=True):
    """`coffer admin migrate-root-key` from the provider `source` to `to`."""
    pkcs11_args = hsm.serve_args()[2:]
    out = subprocess.run([COFFER_BIN, "admin", "--data-dir", str(data_dir), "--root-key-provider", source,
                          *pkcs11_args, "migrate-root-key", "--to", to],
                         capture_output=True, text=True, timeout=300)
    if check:
        assert out.returncode == 0, f"migrate-root-key failed: {out.stdout}\n{out.stderr}"
        return json.loads(out.stdout)
    return out



def test_migrate_a_data_dir_to_the_token_and_back(fresh_server, hsm, tmp_path):
    data_dir = tmp_path / "data"
    srv = fresh_server(data_dir=data_dir)
    saved = fill_every_kind_of_wrapped_secret(srv)
    assert srv.stop() == 0
    assert root_key_files(data_dir) == ["root.key"]

    report = migrate(data_dir, "file", "pkcs11", hsm)
    assert report["RootKeyProvider"] == "pkcs11"
    assert report["Rewrapped"] > 0 and report["AlreadyRewrapped"] == 0
    assert root_key_files(data_dir) == [], "the old root key file must be destroyed"

    srv.extra_args = hsm.serve_args()
    srv.start()
    read_everything_back(srv, saved)
    assert srv.stop() == 0

    back = migrate(data_dir, "pkcs11", "file", hsm)
    assert back["RootKeyProvider"] == "file" and back["Rewrapped"] == report["Rewrapped"]
    assert root_key_files(data_dir) == ["root.key"]
    srv.extra_args = []
    srv.start()
    read_everything_back(srv, saved)


def test_an_interrupted_migration_finishes_when_run_again(fresh_server, hsm, tmp_path):
    data_dir = tmp_path / "data"
    srv = fresh_server(data_dir=data_dir)
    saved = fill_every_kind_of_wrapped_secret(srv)
    assert srv.stop() == 0
    # A file where a blob should be stops the run after the store's records
    # (and possibly some blobs) were moved; the old key must survive that.
    blocker = data_dir / "s3" / "blobs" / "ff" / ("ff" * 16)
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"not a blob")
    failed = migrate(data_dir, "file", "pkcs11", hsm, check=False)
    assert failed.returncode != 0
    assert "ff" * 16 in failed.stderr
    assert root_key_files(data_dir) == ["root.key"], "an unfinished migration keeps the old key"

    blocker.unlink()
    report = migrate(data_dir, "file", "pkcs11", hsm)
    assert report["AlreadyRewrapped"] > 0, "the second run resumes: what moved stays moved"
    assert root_key_files(data_dir) == []
    srv.extra_args = hsm.serve_args()
    srv.start()
    read_everything_back(srv, saved)


def test_migrate_refuses_a_target_of_the_same_provider(hsm, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    out = migrate(data_dir, "pkcs11", "pkcs11", hsm, check=False)
    assert out.returncode != 0
    assert "uses already" in out.stderr


def test_migrate_from_a_data_dir_without_a_root_key_file_is_refused(hsm, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    out = migrate(data_dir, "file", "pkcs11", hsm, check=False)
    assert out.returncode != 0
    assert "nothing to migrate from" in out.stderr


# The KMS integration suites, run again with every server's root key in the
# token (conftest.py: COFFER_TEST_ROOT_KEY_ARGS).
HSM_SUITES = ["test_keys.py", "test_crypto.py"]


def test_the_kms_suites_pass_with_the_root_key_in_the_token(hsm):
    here = Path(__file__).resolve().parent
    env = dict(os.environ, COFFER_TEST_ROOT_KEY_ARGS=json.dumps(hsm.serve_args()))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *HSM_SUITES],
                         capture_output=True, text=True, env=env, cwd=here, timeout=900)
    tail = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, f"the KMS suites with a pkcs11 root key failed:\n{tail}"
    passed = re.search(r"(\d+) passed", out.stdout)
    assert passed and int(passed.group(1)) > 0, f"no test ran:\n{tail}"
    # The servers really used the token: its root key was generated there.
    assert KEY_LABEL in hsm.secret_key_labels()
