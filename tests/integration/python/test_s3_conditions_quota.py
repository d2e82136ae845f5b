"""s3:ExistingObjectTag/<key> in bucket policies (the object's current tags
decide GetObject for another account's user; a Deny by tag; a tag change
flips the decision) and S3's per-prefix request quota (SlowDown, HTTP 503)
on a server whose clock is stopped, so the burst is deterministic.
"""

import json
import os
import time
import xml.etree.ElementTree as ET

from audit_helpers import write_config
from test_s3 import bucket, s3, second_account  # noqa: F401  (fixtures)
from test_s3 import make_s3, raw_request, s3_error, strip_ns


def tag(s3, bucket, key, **tags):
    s3.put_object_tagging(Bucket=bucket, Key=key,
                          Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def test_bucket_policy_allows_only_public_classification(server, s3, bucket, second_account):  # noqa: F811
    s3.put_object(Bucket=bucket, Key="report", Body=b"quarterly", Tagging="classification=public")
    s3.put_object(Bucket=bucket, Key="plan", Body=b"secret plan", Tagging="classification=internal")
    s3.put_object(Bucket=bucket, Key="untagged", Body=b"x")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{second_account.account_id}:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}}]}))
    bob = make_s3(server, creds=second_account)
    assert bob.get_object(Bucket=bucket, Key="report")["Body"].read() == b"quarterly"
    s3_error("AccessDenied", 403, bob.get_object, Bucket=bucket, Key="plan")
    s3_error("AccessDenied", 403, bob.get_object, Bucket=bucket, Key="untagged")
    # The decision follows the tags as they are now.
    tag(s3, bucket, "plan", classification="public")
    assert bob.get_object(Bucket=bucket, Key="plan")["Body"].read() == b"secret plan"
    tag(s3, bucket, "report", classification="internal")
    s3_error("AccessDenied", 403, bob.get_object, Bucket=bucket, Key="report")
    s3.delete_object_tagging(Bucket=bucket, Key="plan")
    s3_error("AccessDenied", 403, bob.get_object, Bucket=bucket, Key="plan")


def test_deny_by_tag_overrides_the_owner(s3, bucket):  # noqa: F811
    s3.put_object(Bucket=bucket, Key="locked", Body=b"x", Tagging="hold=legal")
    s3.put_object(Bucket=bucket, Key="open", Body=b"y")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObjectTagging"],
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/hold": "legal"}}}]}))
    s3_error("AccessDenied", 403, s3.get_object, Bucket=bucket, Key="locked")
    s3_error("AccessDenied", 403, tag, s3, bucket, "locked", hold="none")
    assert s3.get_object(Bucket=bucket, Key="open")["Body"].read() == b"y"
    # s3:PutObject does not take the key: overwriting the held object is allowed.
    s3.put_object(Bucket=bucket, Key="locked", Body=b"z")
    assert s3.get_object(Bucket=bucket, Key="locked")["Body"].read() == b"z"


def test_prefix_read_quota_answers_slow_down(fresh_server, tmp_path):
    """5 GET/HEAD per second per partitioned prefix (bucket + first path
    segment); the clock is stopped, so no token comes back."""
    clock_file = tmp_path / "stopped-clock"
    stopped = int(time.time())
    clock_file.write_text(f"@{stopped}\n")
    srv = fresh_server(extra_args=["--test-clock", str(clock_file), "--quota-config", write_config(
        tmp_path, {"quotas": {"s3_prefix": {"read": 5, "write": 50}}})])
    client = make_s3(srv)
    client.create_bucket(Bucket="quota-bkt")
    client.put_object(Bucket="quota-bkt", Key="logs/a", Body=b"a")
    client.put_object(Bucket="quota-bkt", Key="img/b", Body=b"b")
    for _ in range(3):
        client.get_object(Bucket="quota-bkt", Key="logs/a")
    client.head_object(Bucket="quota-bkt", Key="logs/a")
    client.head_object(Bucket="quota-bkt", Key="logs/a")
    s3_error("SlowDown", 503, client.get_object, Bucket="quota-bkt", Key="logs/a")
    # The same bucket's other prefix, and writes to the throttled one, go on.
    assert client.get_object(Bucket="quota-bkt", Key="img/b")["Body"].read() == b"b"
    client.put_object(Bucket="quota-bkt", Key="logs/c", Body=b"c")
    r = raw_request(srv, "GET", "/quota-bkt/logs/a")
    assert r.status == 503
    body = strip_ns(ET.fromstring(r.body))
    assert body.findtext("Code") == "SlowDown"
    assert body.findtext("Message") == "Please reduce your request rate."
    # The clock moves one second: five more reads.
    moved = tmp_path / "moved-clock"
    moved.write_text(f"@{stopped + 1}\n")
    os.replace(moved, clock_file)
    assert client.get_object(Bucket="quota-bkt", Key="logs/a")["Body"].read() == b"a"
