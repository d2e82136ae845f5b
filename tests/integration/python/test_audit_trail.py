"""The audit trail as an auditor sees it: one CloudTrail-format event per
request (allowed, failed, denied), LookupEvents through boto3 and the aws CLI,
and offline verification that finds every kind of tampering."""

import gzip
import json
import os
import shutil
import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError

from audit_helpers import (FAST_LOOKUP, audit_cli, cloudtrail_events, lookup_all, make_cloudtrail,
                           write_config)
from conftest import AWS_CLI, REGION, Credentials, b64, make_kms


@pytest.fixture
def audited(fresh_server, tmp_path):
    """A strict-mode server whose LookupEvents quota does not get in the way."""
    return fresh_server(extra_args=["--quota-config", write_config(tmp_path, FAST_LOOKUP)])


def by_name(events, name):
    return [e for e in events if e["eventName"] == name]


def test_encrypt_event_has_every_cloudtrail_field(audited):
    kms = make_kms(audited)
    key = kms.create_key(Description="audit")["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"top secret plaintext",
                EncryptionContext={"Purpose": "audit-test"})
    events = cloudtrail_events(make_cloudtrail(audited),
                               LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}])
    assert len(events) == 1
    e = events[0]
    assert e["eventVersion"] == "1.08"
    assert e["eventSource"] == "kms.amazonaws.com"
    assert e["eventName"] == "Encrypt"
    assert e["awsRegion"] == REGION
    assert e["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in e["userAgent"] or "botocore" in e["userAgent"]
    ident = e["userIdentity"]
    assert ident["type"] == "IAMUser"
    assert ident["accountId"] == audited.creds.account_id
    assert ident["accessKeyId"] == audited.creds.access_key_id
    assert ident["arn"] == f"arn:aws:iam::{audited.creds.account_id}:user/admin"
    assert ident["principalId"]
    assert e["requestParameters"]["keyId"] == key["KeyId"]
    assert e["requestParameters"]["encryptionContext"] == {"Purpose": "audit-test"}
    assert "plaintext" not in e["requestParameters"]
    assert e["responseElements"] is None
    assert e["readOnly"] is True
    assert e["resources"] == [{"accountId": audited.creds.account_id, "type": "AWS::KMS::Key",
                               "ARN": key["Arn"]}]
    assert e["eventType"] == "AwsApiCall"
    assert e["managementEvent"] is True
    assert e["eventCategory"] == "Management"
    assert e["recipientAccountId"] == audited.creds.account_id
    uuid.UUID(e["eventID"])
    assert e["requestID"]
    assert "errorCode" not in e
    raw = (audited.data_dir / "audit" / "events.jsonl").read_text()
    assert b64(b"top secret plaintext") not in raw and "top secret plaintext" not in raw


def test_create_key_event_has_response_elements(audited):
    kms = make_kms(audited)
    key = kms.create_key(Description="with response")["KeyMetadata"]
    [e] = cloudtrail_events(make_cloudtrail(audited),
                            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])
    assert e["readOnly"] is False
    assert e["requestParameters"] == {"description": "with response"}
    assert e["responseElements"]["keyMetadata"]["keyId"] == key["KeyId"]
    assert e["resources"][0]["ARN"] == key["Arn"]


def test_decrypt_generate_data_key_and_ciphertext_never_recorded(audited):
    kms = make_kms(audited)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x" * 32)["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    gdk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    raw = (audited.data_dir / "audit" / "events.jsonl").read_text()
    for secret in (b64(blob), b64(gdk["Plaintext"]), b64(gdk["CiphertextBlob"]), b64(b"x" * 32)):
        assert secret not in raw
    events = cloudtrail_events(make_cloudtrail(audited))
    [dec] = by_name(events, "Decrypt")
    assert dec["requestParameters"] == {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"} or \
        "ciphertextBlob" not in dec["requestParameters"]
    assert dec["resources"][0]["ARN"].endswith(key_id)
    [g] = by_name(events, "GenerateDataKey")
    assert g["requestParameters"] == {"keyId": key_id, "keySpec": "AES_256"}


def test_failed_and_denied_requests_are_audited(audited):
    kms = make_kms(audited)
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="alias/does-not-exist")
    bad = Credentials(audited.creds.access_key_id, "wrong-secret-" + "x" * 27, audited.creds.account_id)
    with pytest.raises(ClientError):
        make_kms(audited, creds=bad).list_keys()
    events = cloudtrail_events(make_cloudtrail(audited))
    [missing] = by_name(events, "DescribeKey")
    assert missing["errorCode"] == "NotFoundException"
    assert "does-not-exist" in missing["errorMessage"]
    # A request whose signature fails has no account: it is recorded, but
    # LookupEvents (scoped to the caller's account) cannot show it; read the log.
    raw = [json.loads(line)["event"] for line in
           (audited.data_dir / "audit" / "events.jsonl").read_text().splitlines()]
    denied = [e for e in raw if e.get("errorCode") == "InvalidSignatureException"]
    assert len(denied) == 1
    assert denied[0]["eventName"] == "ListKeys"
    assert denied[0]["userIdentity"]["accessKeyId"] == audited.creds.access_key_id


def test_lookup_filters_each_attribute(audited):
    kms = make_kms(audited)
    k1 = kms.create_key()["KeyMetadata"]
    k2 = kms.create_key()["KeyMetadata"]
    kms.encrypt(KeyId=k1["KeyId"], Plaintext=b"1")
    kms.encrypt(KeyId=k2["KeyId"], Plaintext=b"2")
    kms.describe_key(KeyId=k2["KeyId"])
    ct = make_cloudtrail(audited)

    def lookup(key, value):
        return cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])

    assert len(lookup("EventName", "Encrypt")) == 2
    assert {e["eventName"] for e in lookup("ResourceName", k2["Arn"])} == {"CreateKey", "Encrypt", "DescribeKey"}
    assert len(lookup("ResourceType", "AWS::KMS::Key")) == 5
    assert all(e["eventSource"] == "kms.amazonaws.com" for e in lookup("EventSource", "kms.amazonaws.com"))
    assert {e["eventName"] for e in lookup("ReadOnly", "false")} == {"CreateKey"}
    assert len(lookup("Username", "admin")) >= 5
    assert len(lookup("AccessKeyId", audited.creds.access_key_id)) >= 5
    some = lookup("EventName", "DescribeKey")[0]
    assert [e["eventID"] for e in lookup("EventId", some["eventID"])] == [some["eventID"]]


def test_lookup_time_range_and_pagination(audited):
    kms = make_kms(audited)
    for _ in range(7):
        kms.generate_random(NumberOfBytes=8)
    ct = make_cloudtrail(audited)
    first = ct.lookup_events(MaxResults=3,
                             LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GenerateRandom"}])
    assert len(first["Events"]) == 3 and "NextToken" in first
    everything = lookup_all(ct, MaxResults=3,
                            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GenerateRandom"}])
    ids = [e["EventId"] for e in everything]
    assert len(ids) == 7 and len(set(ids)) == 7
    times = [e["EventTime"] for e in everything]
    assert times == sorted(times, reverse=True)
    paginator = ct.get_paginator("lookup_events")
    pages = list(paginator.paginate(LookupAttributes=[{"AttributeKey": "EventName",
                                                       "AttributeValue": "GenerateRandom"}],
                                    PaginationConfig={"PageSize": 2}))
    assert sum(len(p["Events"]) for p in pages) == 7
    future = ct.lookup_events(StartTime=times[0].timestamp() + 3600, EndTime=times[0].timestamp() + 7200)
    assert future["Events"] == []
    expect_error_ct("InvalidTimeRangeException", ct.lookup_events, StartTime=2000000000, EndTime=1000000000)
    expect_error_ct("InvalidNextTokenException", ct.lookup_events, NextToken="forged")
    expect_error_ct("ValidationException", ct.lookup_events, MaxResults=51)
    expect_error_ct("InvalidLookupAttributesException", ct.lookup_events, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "Encrypt"},
        {"AttributeKey": "Username", "AttributeValue": "admin"}])


def expect_error_ct(code, fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_aws_cli_lookup_events(audited, tmp_path):
    kms = make_kms(audited)
    kms.create_key(Description="from cli test")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": audited.creds.access_key_id,
                "AWS_SECRET_ACCESS_KEY": audited.creds.secret_access_key,
                "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "", "HOME": str(tmp_path)})
    out = subprocess.run([AWS_CLI, "--endpoint-url", audited.endpoint, "--output", "json", "cloudtrail",
                          "lookup-events", "--lookup-attributes",
                          "AttributeKey=EventName,AttributeValue=CreateKey", "--max-results", "5"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    events = json.loads(out.stdout)["Events"]
    assert len(events) == 1
    assert json.loads(events[0]["CloudTrailEvent"])["requestParameters"]["description"] == "from cli test"


def test_lookup_is_scoped_to_the_callers_account(audited):
    make_kms(audited).create_key()
    acct = audited.admin("create-account", "--name", "other")["AccountId"]
    audited.admin("create-user", "--account-id", acct, "--user-name", "bob")
    key = audited.admin("create-access-key", "--account-id", acct, "--user-name", "bob")
    other = Credentials(key["AccessKeyId"], key["SecretAccessKey"], acct)
    events = cloudtrail_events(make_cloudtrail(audited, creds=other))
    assert all(e["recipientAccountId"] == acct for e in events)
    assert not [e for e in events if e["eventName"] == "CreateKey"]


# ---- offline verification and tampering ----

def stopped_trail(fresh_server, tmp_path, digest_every=3):
    """A server that handled some requests, signed digests, and stopped."""
    srv = fresh_server()
    kms = make_kms(srv)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for i in range(8):
        kms.encrypt(KeyId=key_id, Plaintext=b"%d" % i)
    assert srv.stop() == 0  # final digest at shutdown
    return srv.data_dir / "audit"


def tampered_copy(audit_dir, tmp_path, name, change):
    copy = tmp_path / name
    shutil.copytree(audit_dir, copy)
    for fname, fn in change.items():
        path = copy / fname
        lines = path.read_text().splitlines()
        path.write_text("".join(line + "\n" for line in fn(lines)))
    return copy


def edit_first_event(lines):
    rec = json.loads(lines[2])
    rec["event"]["sourceIPAddress"] = "10.6.6.6"
    lines[2] = json.dumps(rec, separators=(",", ":"), sort_keys=True)
    return lines


def insert_event(lines):
    return lines[:3] + [lines[3]] + lines[3:]


def test_verify_accepts_an_untouched_trail_and_its_export(fresh_server, tmp_path):
    audit_dir = stopped_trail(fresh_server, tmp_path)
    code, report = audit_cli("verify", "--dir", str(audit_dir), check=0)
    assert report["valid"] is True
    assert report["records"] == 9
    assert report["digests"] >= 1
    assert report["recordsAfterLastDigest"] == 0
    out = tmp_path / "export"
    audit_cli("export", "--dir", str(audit_dir), "--out", str(out), check=0)
    day_files = list(out.glob("AWSLogs/*/CloudTrail/us-east-1/*/*/*/*_CloudTrail_us-east-1_*.jsonl.gz"))
    assert len(day_files) >= 1
    records = [json.loads(line) for f in day_files for line in gzip.decompress(f.read_bytes()).splitlines()]
    assert len(records) == 9 and {r["eventName"] for r in records} == {"CreateKey", "Encrypt"}
    digests = gzip.decompress((out / "AWSLogs/CloudTrail-Digest/coffer_digests.jsonl.gz").read_bytes())
    assert b'"signature"' in digests
    audit_cli("verify", "--dir", str(out / "chain"), check=0)
    _, key = audit_cli("public-key", "--dir", str(audit_dir), check=0)
    assert "BEGIN PUBLIC KEY" in key


@pytest.mark.parametrize("name,change,where,line", [
    ("delete-record", {"events.jsonl": lambda l: l[:4] + l[5:]}, "firstRecordProblem", 5),
    ("edit-record", {"events.jsonl": edit_first_event}, "firstRecordProblem", 3),
    ("reorder-records", {"events.jsonl": lambda l: l[:2] + [l[3], l[2]] + l[4:]}, "firstRecordProblem", 3),
    ("insert-record", {"events.jsonl": insert_event}, "firstRecordProblem", 5),
    ("delete-digest", {"digests.jsonl": lambda l: l[1:]}, "firstDigestProblem", 1),
    ("edit-digest", {"digests.jsonl": lambda l: [l[0].replace('"count":9', '"count":8')] + l[1:]},
     "firstDigestProblem", 1),
    ("insert-digest", {"digests.jsonl": lambda l: [l[0], l[0]] + l[1:]}, "firstDigestProblem", 2),
])
def test_verify_reports_the_first_broken_point(fresh_server, tmp_path, name, change, where, line):
    srv = fresh_server()
    kms = make_kms(srv)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for i in range(8):
        kms.encrypt(KeyId=key_id, Plaintext=b"%d" % i)
    assert srv.stop() == 0
    srv.start()  # a second digest: at the next shutdown
    make_kms(srv).list_keys()
    assert srv.stop() == 0
    audit_dir = srv.data_dir / "audit"
    audit_cli("verify", "--dir", str(audit_dir), check=0)
    copy = tampered_copy(audit_dir, tmp_path, name, change)
    code, report = audit_cli("verify", "--dir", str(copy))
    assert code == 1, report
    assert report["valid"] is False
    problem = report[where]
    assert problem is not None, report
    assert problem["line"] == line, report


def test_verify_with_time_range(fresh_server, tmp_path):
    audit_dir = stopped_trail(fresh_server, tmp_path)
    code, report = audit_cli("verify", "--dir", str(audit_dir), "--from", "2000-01-01T00:00:00Z",
                             "--to", "2001-01-01T00:00:00Z", check=0)
    assert report["recordsInRange"] == 0
    code, report = audit_cli("verify", "--dir", str(audit_dir), "--from", "not-a-time")
    assert code == 2


def test_iam_and_sts_requests_are_audited(audited):
    from test_authorization import make_client
    sts = make_client(audited, "sts", audited.creds)
    iam = make_client(audited, "iam", audited.creds)
    assert sts.get_caller_identity()["Account"] == audited.creds.account_id
    iam.create_user(UserName="audited-user")
    with pytest.raises(ClientError):
        iam.get_user(UserName="no-such-user")
    events = cloudtrail_events(make_cloudtrail(audited))
    [who] = by_name(events, "GetCallerIdentity")
    assert who["eventSource"] == "sts.amazonaws.com"
    assert who["userIdentity"]["accountId"] == audited.creds.account_id
    assert who["userIdentity"]["accessKeyId"] == audited.creds.access_key_id
    [created] = by_name(events, "CreateUser")
    assert created["eventSource"] == "iam.amazonaws.com"
    assert "errorCode" not in created
    [missing] = by_name(events, "GetUser")
    assert missing["errorCode"]
    assert missing["eventSource"] == "iam.amazonaws.com"
