"""Temporary credentials past their expiry, as AWS answers them:
ExpiredTokenException from KMS (HTTP 400) and ExpiredToken from STS (Query XML,
HTTP 403), "The security token included in the request is expired".

No sleeping for 15 minutes: the server runs with `--test-clock FILE` (system
time plus the offset in seconds the test writes to FILE, read on every call)
and botocore signs with its own clock shifted by the same offset, so the SigV4
date stays inside the server's skew window and only the session's expiry can
refuse the call. The admin's long-term key, signed at the same shifted time,
keeps working: that is the control showing the refusal is the expiry."""

import datetime
import importlib
import json
import os
import subprocess
import types

import botocore.auth
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import COFFER_BIN, REGION, boto_session

EXPIRED = "The security token included in the request is expired"


class ShiftedDatetime(datetime.datetime):
    """datetime whose utcnow() runs `offset_s` ahead: what botocore signs with."""
    offset_s = 0

    @classmethod
    def utcnow(cls):
        return datetime.datetime.utcnow() + datetime.timedelta(seconds=cls.offset_s)


def signer_modules():
    modules = [botocore.auth]
    try:
        modules.append(importlib.import_module("botocore.crt.auth"))
    except ImportError:
        pass
    return modules


@pytest.fixture
def clocks(tmp_path, monkeypatch):
    """Moves the server's clock (through its --test-clock file) and botocore's together."""
    clock_file = tmp_path / "clock"
    shifted = types.SimpleNamespace(**{name: getattr(datetime, name) for name in dir(datetime)
                                       if not name.startswith("__")})
    shifted.datetime = ShiftedDatetime
    # botocore signs with the awscrt signer when awscrt is installed (Debian's is).
    for module in signer_modules():
        monkeypatch.setattr(module, "datetime", shifted)
    monkeypatch.setattr(ShiftedDatetime, "offset_s", 0)

    def move_to(offset_s):
        scratch = tmp_path / "clock.tmp"
        scratch.write_text(f"{offset_s}\n")
        os.replace(scratch, clock_file)  # atomic: the server reads the old or the new offset
        ShiftedDatetime.offset_s = offset_s

    move_to.file = clock_file
    return move_to


def client(server, service, access_key_id, secret, token=None):
    return boto_session().client(
        service, region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=access_key_id, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"max_attempts": 1}))


def error_of(fn, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    r = info.value.response
    return r["Error"]["Code"], r["Error"].get("Message", ""), r["ResponseMetadata"]["HTTPStatusCode"]


def test_assumed_role_session_past_expiry_is_rejected(fresh_server, clocks):
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file)])
    assert "TEST CLOCK ENABLED" in srv.log_text()
    admin = srv.creds
    iam = client(srv, "iam", admin.access_key_id, admin.secret_access_key)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{admin.account_id}:root"},
        "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="short-lived", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="short-lived", PolicyName="use-keys", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}))
    admin_kms = client(srv, "kms", admin.access_key_id, admin.secret_access_key)
    key_id = admin_kms.create_key()["KeyMetadata"]["KeyId"]

    sts = client(srv, "sts", admin.access_key_id, admin.secret_access_key)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="job", DurationSeconds=900)
    c = out["Credentials"]
    lifetime = c["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 880 <= lifetime.total_seconds() <= 900, lifetime
    session = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    role_kms = client(srv, "kms", *session)
    role_sts = client(srv, "sts", *session)

    blob = role_kms.encrypt(KeyId=key_id, Plaintext=b"before expiry")["CiphertextBlob"]
    assert role_sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]

    # 850 s on (both clocks): still inside the session's 900 s, with room for
    # a slow machine's real seconds since AssumeRole.
    clocks(850)
    assert role_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"

    # 901 s on: the same calls are refused as expired.
    clocks(901)
    assert error_of(role_kms.decrypt, CiphertextBlob=blob) == ("ExpiredTokenException", EXPIRED, 400)
    assert error_of(role_kms.encrypt, KeyId=key_id, Plaintext=b"x") == ("ExpiredTokenException", EXPIRED, 400)
    assert error_of(role_sts.get_caller_identity) == ("ExpiredToken", EXPIRED, 403)
    # A wrong token is "invalid", expired or not.
    wrong = client(srv, "kms", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"][:-2] + "xx")
    assert error_of(wrong.list_keys)[0] == "UnrecognizedClientException"
    # Control: long-term credentials signed at the same shifted time still work.
    assert admin_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"


def test_get_session_token_past_expiry_is_rejected(fresh_server, clocks):
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file)])
    admin = srv.creds
    sts = client(srv, "sts", admin.access_key_id, admin.secret_access_key)
    c = sts.get_session_token(DurationSeconds=900)["Credentials"]
    user_kms = client(srv, "kms", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    assert "Keys" in user_kms.list_keys()
    clocks(901)
    assert error_of(user_kms.list_keys) == ("ExpiredTokenException", EXPIRED, 400)
    assert "Keys" in client(srv, "kms", admin.access_key_id, admin.secret_access_key).list_keys()


def refused_start(tmp_path, listen):
    """Runs `coffer serve --test-clock` expecting it to refuse; returns its output."""
    proc = subprocess.run(
        [COFFER_BIN, "serve", "--data-dir", str(tmp_path / "data"), "--listen", listen,
         "--test-clock", str(tmp_path / "clock")],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    return proc.stdout + proc.stderr


def test_test_clock_is_refused_off_loopback(tmp_path):
    output = refused_start(tmp_path, "0.0.0.0:0")
    assert "--test-clock is for tests only and needs a loopback --listen address" in output
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_test_clock_file_must_hold_an_offset(tmp_path):
    (tmp_path / "clock").write_text("next tuesday\n")
    assert "does not hold an offset in seconds" in refused_start(tmp_path, "127.0.0.1:0")
