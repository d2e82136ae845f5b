"""Request quotas (ThrottlingException, retried by boto3 and the aws CLI in
standard mode), `coffer admin set-quota`, GET /metrics and the JSON access log."""

import json
import os
import subprocess
import urllib.error

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from audit_helpers import (FAST_LOOKUP, cloudtrail_events, get_metrics, make_cloudtrail, metric_value,
                           write_config)
from conftest import AWS_CLI, COFFER_BIN, REGION, b64, boto_session, make_kms, wait_for

TINY = {"quotas": {"defaults": {"symmetric": 2, "cloudtrail:LookupEvents": 1000}}}


def kms_with_retries(srv, retries):
    """A KMS client with an explicit retry policy (make_kms fixes one attempt)."""
    return boto_session().client(
        "kms", region_name=REGION, endpoint_url=srv.endpoint,
        aws_access_key_id=srv.creds.access_key_id, aws_secret_access_key=srv.creds.secret_access_key,
        config=Config(retries=retries))


def test_exceeding_a_quota_returns_throttling_exception(fresh_server, tmp_path):
    srv = fresh_server(extra_args=["--quota-config", write_config(tmp_path, TINY)])
    key_id = make_kms(srv).create_key()["KeyMetadata"]["KeyId"]
    kms = kms_with_retries(srv, {"mode": "standard", "total_max_attempts": 1})
    errors = []
    for _ in range(6):
        try:
            kms.encrypt(KeyId=key_id, Plaintext=b"p")
        except ClientError as err:
            errors.append(err)
    assert errors, "six Encrypts in a burst against a 2/s quota were all allowed"
    err = errors[0].response
    assert err["Error"]["Code"] == "ThrottlingException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"] == ("You have exceeded the rate at which you may call KMS. "
                                       "Reduce the frequency of your calls.")
    # Throttled requests are audited and counted.
    throttled = [e for e in cloudtrail_events(make_cloudtrail(srv)) if e.get("errorCode") == "ThrottlingException"]
    assert len(throttled) == len(errors)
    assert throttled[0]["eventName"] == "Encrypt"
    _, _, text = get_metrics(srv)
    assert metric_value(text, "coffer_quota_throttled_total", group="symmetric") == len(errors)
    assert metric_value(text, "coffer_requests_total", service="kms", operation="Encrypt",
                        outcome="throttled") == len(errors)
    assert metric_value(text, "coffer_quota_limit", account=srv.creds.account_id, group="symmetric") == 2


def test_boto3_standard_retry_mode_backs_off_and_succeeds(fresh_server, tmp_path):
    srv = fresh_server(extra_args=["--quota-config", write_config(tmp_path, TINY)])
    key_id = make_kms(srv).create_key()["KeyMetadata"]["KeyId"]
    retrying = kms_with_retries(srv, {"mode": "standard", "max_attempts": 10})
    retries = 0
    for i in range(10):
        out = retrying.encrypt(KeyId=key_id, Plaintext=b"%d" % i)
        assert out["KeyId"].endswith(key_id)
        retries += out["ResponseMetadata"]["RetryAttempts"]
    _, _, text = get_metrics(srv)
    throttled = metric_value(text, "coffer_quota_throttled_total", group="symmetric")
    # Ten Encrypts against 2/s all succeeded: boto3 retried each throttled
    # attempt, once per ThrottlingException the server counted.
    assert retries >= 1, "no call was retried, so the retry path was not exercised"
    assert throttled == retries


def test_aws_cli_standard_retry_mode_succeeds(fresh_server, tmp_path):
    srv = fresh_server(extra_args=["--quota-config", write_config(tmp_path, TINY)])
    key_id = make_kms(srv).create_key()["KeyMetadata"]["KeyId"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": srv.creds.access_key_id, "AWS_SECRET_ACCESS_KEY": srv.creds.secret_access_key,
                "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "", "AWS_RETRY_MODE": "standard",
                "AWS_MAX_ATTEMPTS": "10", "HOME": str(tmp_path)})
    for _ in range(5):
        out = subprocess.run([AWS_CLI, "--endpoint-url", srv.endpoint, "kms", "generate-random",
                              "--number-of-bytes", "16"], capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
    # Each CLI process starts with a full bucket; drain it first so the next runs are throttled.
    drain = make_kms(srv)
    for _ in range(4):
        try:
            drain.generate_random(NumberOfBytes=1)
        except ClientError:
            pass
    out = subprocess.run([AWS_CLI, "--endpoint-url", srv.endpoint, "kms", "encrypt", "--key-id", key_id,
                          "--plaintext", b64(b"hello")], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr


def test_admin_set_quota_applies_to_a_running_server(fresh_server):
    srv = fresh_server(extra_args=["--quota-reload", "1"])
    kms = make_kms(srv)
    kms.create_key()
    out = srv.admin("set-quota", "--account-id", srv.creds.account_id, "--group", "CreateKey", "--rate", "1")
    assert out["Overrides"]["accounts"][srv.creds.account_id]["CreateKey"] == 1
    assert out["AwsDefaults"]["CreateKey"] == 50

    def throttled():
        try:
            kms.create_key()
            kms.create_key()
            return False
        except ClientError as err:
            return err.response["Error"]["Code"] == "ThrottlingException"

    assert wait_for(throttled, 15, "the new CreateKey quota to apply")
    shown = srv.admin("get-quotas")
    assert shown["Overrides"]["accounts"][srv.creds.account_id] == {"CreateKey": 1.0}


def test_admin_set_quota_rejects_bad_input(fresh_server):
    srv = fresh_server()
    for args in (["--group", "NoSuchGroup", "--rate", "1"], ["--group", "symmetric", "--rate", "0"]):
        out = subprocess.run([COFFER_BIN, "admin", "--data-dir",
                              str(srv.data_dir), "set-quota", *args], capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
        assert "quota" in out.stderr.lower()


def test_bad_quota_config_refuses_to_start(tmp_path):
    cfg = write_config(tmp_path, {"quotas": {"defaults": {"symmetric": -1}}})
    out = subprocess.run([COFFER_BIN, "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
                          "--quota-config", cfg], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "symmetric" in out.stdout + out.stderr


def test_metrics_endpoint_content(fresh_server, tmp_path):
    srv = fresh_server(extra_args=["--quota-config", write_config(tmp_path, FAST_LOOKUP)])
    kms = make_kms(srv)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        kms.encrypt(KeyId=key_id, Plaintext=b"m")
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="alias/nope")
    kms.schedule_key_deletion(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    status, ctype, text = get_metrics(srv)
    assert status == 200 and ctype.startswith("text/plain")
    assert "# TYPE coffer_requests_total counter" in text
    assert metric_value(text, "coffer_requests_total", service="kms", operation="Encrypt", outcome="success") == 3
    assert metric_value(text, "coffer_requests_total", service="kms", operation="DescribeKey",
                        outcome="client_error") == 1
    assert metric_value(text, "coffer_request_duration_seconds_count", service="kms", operation="Encrypt") == 3
    assert metric_value(text, "coffer_request_duration_seconds_bucket", operation="Encrypt", le="+Inf") == 3
    assert metric_value(text, "coffer_kms_keys", state="Enabled") == 1
    assert metric_value(text, "coffer_kms_keys", state="PendingDeletion") == 1
    assert metric_value(text, "coffer_key_cache_lookups_total", result="hit") >= 1
    assert 0 < metric_value(text, "coffer_key_cache_hit_ratio") <= 1
    assert metric_value(text, "coffer_store_commit_duration_seconds_count", result="ok") >= 2
    assert metric_value(text, "coffer_audit_queue_depth") is not None
    assert metric_value(text, "coffer_audit_events_total") >= 6
    assert metric_value(text, "coffer_build_info", version="0.1.0") == 1
    assert metric_value(text, "coffer_quota_available", account=srv.creds.account_id, group="symmetric") is not None


def test_metrics_can_be_turned_off(fresh_server):
    srv = fresh_server(extra_args=["--metrics", "off"])
    with pytest.raises(urllib.error.HTTPError) as info:
        get_metrics(srv)
    assert info.value.code == 400


def test_json_access_log_has_one_line_per_request_without_secrets(fresh_server, tmp_path):
    log = tmp_path / "access.log"
    srv = fresh_server(extra_args=["--access-log", str(log)])
    kms = make_kms(srv)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"access-log-secret")
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="alias/none")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [l["operation"] for l in lines] == ["CreateKey", "Encrypt", "DescribeKey"]
    enc = lines[1]
    assert enc["status"] == 200 and enc["latencyMs"] > 0
    assert enc["principal"] == f"arn:aws:iam::{srv.creds.account_id}:user/admin"
    assert enc["requestId"] and enc["accessKeyId"] == srv.creds.access_key_id
    assert lines[2]["errorCode"] == "NotFoundException" and lines[2]["status"] == 400
    text = log.read_text()
    assert "access-log-secret" not in text and b64(b"access-log-secret") not in text


def test_batched_mode_serves_and_records(fresh_server, tmp_path):
    srv = fresh_server(extra_args=["--audit-durability", "batched",
                                   "--quota-config", write_config(tmp_path, FAST_LOOKUP)])
    kms = make_kms(srv)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(5):
        kms.encrypt(KeyId=key_id, Plaintext=b"b")
    ct = make_cloudtrail(srv)

    def all_visible():
        return len([e for e in cloudtrail_events(ct) if e["eventName"] == "Encrypt"]) == 5

    assert wait_for(all_visible, 10, "batched events to be flushed (<= 200 ms)")
