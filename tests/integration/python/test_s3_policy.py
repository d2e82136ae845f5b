"""S3 bucket policies on Coffer's endpoint: Put/Get/DeleteBucketPolicy and
GetBucketPolicyStatus, anonymous access (boto3 UNSIGNED and
`aws --no-sign-request`), Block Public Access, cross-account grants, and the
encryption / transport condition scenarios walked through in
docs/s3-encryption.md ("## Bucket policies"), each with the outcome AWS's
documented policy evaluation gives.
"""

import http.client
import json
import subprocess
import urllib.parse
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import COFFER_BIN, REGION, boto_session, make_kms
# Fixtures: a signed client, a fresh bucket, a user of another account.
from test_s3 import bucket, s3, second_account  # noqa: F401
from test_s3 import make_s3, s3_error



def outcome(fn, *args, **kwargs):
    """'ok', or the S3 error code the call failed with."""
    try:
        fn(*args, **kwargs)
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


def policy(bucket, *statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def everything(bucket):
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


@pytest.fixture(scope="module")
def anon(server):
    return make_s3(server, unsigned=True)


@pytest.fixture(scope="module")
def kms_key_arn(server):
    return make_kms(server).create_key(Description="bucket policy scenarios")["KeyMetadata"]["Arn"]


def public_read(bucket):
    return {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*"}


# --------------------------------------------------------------------------
# The operations
# --------------------------------------------------------------------------


def test_put_get_delete_and_status(s3, bucket):
    s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=bucket)
    s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy_status, Bucket=bucket)
    text = policy(bucket, public_read(bucket))
    r = s3.put_bucket_policy(Bucket=bucket, Policy=text)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert s3.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=bucket)


@pytest.mark.parametrize("text, message", [
    ("not json", "Policies must be valid JSON and the first byte must be '{'"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject",'
     '"Resource":"arn:aws:s3:::BUCKET/*"}]}', "Invalid principal in policy"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",'
     '"Resource":"arn:aws:s3:::BUCKET"}]}', "Action does not apply to any resource(s) in statement"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",'
     '"Resource":"arn:aws:s3:::some-other-bucket/*"}]}', "Policy has invalid resource"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt",'
     '"Resource":"arn:aws:s3:::BUCKET/*"}]}', "Policy has invalid action"),
])
def test_malformed_policy(s3, bucket, text, message):
    r = s3_error("MalformedPolicy", 400, s3.put_bucket_policy, Bucket=bucket, Policy=text.replace("BUCKET", bucket))
    assert r["Error"]["Message"] == message


def test_policy_over_20_kb(s3, bucket):
    big = policy(bucket, dict(public_read(bucket), Sid="x" * 21000))
    r = s3_error("MalformedPolicy", 400, s3.put_bucket_policy, Bucket=bucket, Policy=big)
    assert r["Error"]["Message"] == "Policy exceeds the maximum allowed document size"


def test_aws_cli_put_and_get_policy(aws_cli, s3, bucket):
    text = policy(bucket, public_read(bucket))
    aws_cli("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", text)
    assert json.loads(aws_cli("s3api", "get-bucket-policy", "--bucket", bucket)["Policy"]) == json.loads(text)
    status = aws_cli("s3api", "get-bucket-policy-status", "--bucket", bucket)
    assert status["PolicyStatus"]["IsPublic"] is True


# --------------------------------------------------------------------------
# Anonymous access, Block Public Access, other accounts
# --------------------------------------------------------------------------


def test_anonymous_access_only_through_the_bucket_policy(s3, anon, bucket):
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hi")
    s3_error("AccessDenied", 403, anon.get_object, Bucket=bucket, Key="hello.txt")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, public_read(bucket), {
        "Sid": "PublicListAndWrite", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": everything(bucket)}))
    assert anon.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hi"
    keys = [o["Key"] for o in anon.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["hello.txt"]
    anon.put_object(Bucket=bucket, Key="from-anon.txt", Body=b"anon")
    assert s3.get_object(Bucket=bucket, Key="from-anon.txt")["Body"].read() == b"anon"
    # Not granted: everything else.
    s3_error("AccessDenied", 403, anon.delete_object, Bucket=bucket, Key="hello.txt")
    s3_error("AccessDenied", 403, anon.get_bucket_policy, Bucket=bucket)
    s3_error("AccessDenied", 403, anon.list_buckets)
    s3_error("AccessDenied", 403, anon.create_bucket, Bucket="anon-" + uuid.uuid4().hex[:12])


def test_aws_cli_no_sign_request(aws_cli, s3, bucket, tmp_path):
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": everything(bucket)}))
    src = tmp_path / "up.txt"
    src.write_bytes(b"unsigned upload")
    aws_cli("s3api", "put-object", "--no-sign-request", "--bucket", bucket, "--key", "up.txt", "--body", str(src))
    dst = tmp_path / "down.txt"
    aws_cli("s3api", "get-object", "--no-sign-request", "--bucket", bucket, "--key", "up.txt", str(dst))
    assert dst.read_bytes() == b"unsigned upload"
    listed = aws_cli("s3api", "list-objects-v2", "--no-sign-request", "--bucket", bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["up.txt"]
    denied = aws_cli("s3api", "delete-object", "--no-sign-request", "--bucket", bucket, "--key", "up.txt",
                     check=False)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_anonymous_signed_chunks_are_refused(server, s3, bucket):
    # Chunk signatures cannot be checked without a signing key: refused
    # before any byte is stored, even where the policy lets anonymous writes in.
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    url = urllib.parse.urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request("PUT", f"/{bucket}/chunked", body=b"0;chunk-signature=" + b"0" * 64 + b"\r\n\r\n",
                 headers={"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                          "x-amz-decoded-content-length": "0", "Content-Encoding": "aws-chunked"})
    r = conn.getresponse()
    body = r.read().decode()
    assert r.status == 403 and "<Code>AccessDenied</Code>" in body, body
    assert "signed aws-chunked body" in body
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="chunked")


def test_block_public_policy_refuses_a_public_policy(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    r = s3_error("AccessDenied", 403, s3.put_bucket_policy, Bucket=bucket, Policy=policy(bucket, public_read(bucket)))
    assert "BlockPublicPolicy" in r["Error"]["Message"]
    s3_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=bucket)
    # A policy pinned to a network is not public.
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, dict(
        public_read(bucket), Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}})))


def test_restrict_public_buckets(s3, anon, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, public_read(bucket)))
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    s3_error("AccessDenied", 403, anon.get_object, Bucket=bucket, Key="k")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.delete_public_access_block(Bucket=bucket)
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_cross_account_needs_the_bucket_policy(server, s3, bucket, second_account):  # noqa: F811
    other_account = second_account
    s3.put_object(Bucket=bucket, Key="shared", Body=b"for bob")
    bob = make_s3(server, creds=other_account)
    s3_error("AccessDenied", 403, bob.get_object, Bucket=bucket, Key="shared")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other_account.account_id}:root"},
        "Action": ["s3:GetObject", "s3:GetBucketPolicy"], "Resource": everything(bucket)}))
    assert bob.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"for bob"
    s3_error("AccessDenied", 403, bob.put_object, Bucket=bucket, Key="nope", Body=b"x")
    # Only the owner account manages the policy, even when the policy lets the caller through.
    s3_error("MethodNotAllowed", 405, bob.get_bucket_policy, Bucket=bucket)


# --------------------------------------------------------------------------
# Encryption and transport conditions (docs/s3-encryption.md walkthrough)
# --------------------------------------------------------------------------


def sse_put(client, bucket, sse=None, key_id=None):
    kwargs = {}
    if sse:
        kwargs["ServerSideEncryption"] = sse
    if key_id:
        kwargs["SSEKMSKeyId"] = key_id
    return outcome(client.put_object, Bucket=bucket, Key="obj-" + uuid.uuid4().hex[:8], Body=b"data", **kwargs)


def assert_kms_allowed(result):
    # The policy lets an aws:kms upload with the right key through; storing it
    # is SSE-KMS's work.
    assert result == "ok", result


def test_scenario1_require_aes256(s3, bucket, kms_key_arn):
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Sid": "DenyNotAES256", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}))
    assert sse_put(s3, bucket) == "AccessDenied"  # missing key: the negated operator is true
    assert sse_put(s3, bucket, "AES256") == "ok"
    assert sse_put(s3, bucket, "aws:kms", kms_key_arn) == "AccessDenied"


def require_kms_if_exists(bucket, key_arn):
    return policy(bucket, {
        "Sid": "DenyNotKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}}, {
        "Sid": "DenyOtherKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}})


def set_default_encryption(s3, bucket, on, key_arn):
    if not on:
        return
    result = outcome(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]})
    if result == "NotImplemented":
        pytest.skip("PutBucketEncryption is not on the wire in this build")
    assert result == "ok", result


@pytest.mark.parametrize("default_encryption", [False, True], ids=["no-default", "default-kms"])
def test_scenario2_if_exists_denies_a_missing_header(s3, bucket, kms_key_arn, default_encryption):
    set_default_encryption(s3, bucket, default_encryption, kms_key_arn)
    s3.put_bucket_policy(Bucket=bucket, Policy=require_kms_if_exists(bucket, kms_key_arn))
    # ...IfExists evaluates a missing key as true: the Deny applies even though
    # the bucket default would have encrypted with the right key.
    assert sse_put(s3, bucket) == "AccessDenied"
    assert sse_put(s3, bucket, "AES256") == "AccessDenied"
    other = kms_key_arn[:-4] + "0000"
    assert sse_put(s3, bucket, "aws:kms", other) == "AccessDenied"
    assert_kms_allowed(sse_put(s3, bucket, "aws:kms", kms_key_arn))


@pytest.mark.parametrize("default_encryption", [False, True], ids=["no-default", "default-kms"])
def test_scenario2_lenient_policy_lets_the_default_apply(s3, bucket, kms_key_arn, default_encryption):
    set_default_encryption(s3, bucket, default_encryption, kms_key_arn)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Sid": "DenyWrongAlgorithmWhenSent", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "false"},
                      "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}, {
        "Sid": "DenyWrongKeyWhenSent", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                      "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn}}}))
    assert sse_put(s3, bucket) == "ok"
    assert sse_put(s3, bucket, "AES256") == "AccessDenied"
    assert sse_put(s3, bucket, "aws:kms", kms_key_arn[:-4] + "0000") == "AccessDenied"
    assert_kms_allowed(sse_put(s3, bucket, "aws:kms", kms_key_arn))


def test_scenario3_string_not_equals_on_both_keys_in_one_statement(s3, bucket, kms_key_arn):
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Sid": "DenyUnlessKmsWithKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms",
                                          "s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn}}}))
    assert sse_put(s3, bucket) == "AccessDenied"             # both keys missing: both negations true
    assert sse_put(s3, bucket, "AES256") == "AccessDenied"   # algorithm differs and no key id
    # The keys of one condition block are ANDed: aws:kms makes the first false,
    # so the Deny does not apply even with another key.
    assert sse_put(s3, bucket, "aws:kms", kms_key_arn[:-4] + "0000") != "AccessDenied"
    assert_kms_allowed(sse_put(s3, bucket, "aws:kms", kms_key_arn))


def deny_insecure(bucket):
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": everything(bucket), "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_scenario4_secure_transport(fresh_server):
    tls = fresh_server(tls=True)
    plain = fresh_server()
    for srv, expected in ((plain, "AccessDenied"), (tls, "ok")):
        client = make_s3(srv)
        name = "tls-" + uuid.uuid4().hex[:12]
        client.create_bucket(Bucket=name)
        client.put_bucket_policy(Bucket=name, Policy=policy(name, deny_insecure(name)))
        assert sse_put(client, name) == expected, srv.endpoint
        # s3:* covers the policy itself: over HTTP a user (not the account
        # root, which is exempt) cannot remove it either.
        assert outcome(client.delete_bucket_policy, Bucket=name) == expected


def test_scenario5_both_policies(fresh_server):
    for srv in (fresh_server(tls=True), fresh_server()):
        kms_arn = make_kms(srv).create_key()["KeyMetadata"]["Arn"]
        client = make_s3(srv)
        name = "both-" + uuid.uuid4().hex[:12]
        client.create_bucket(Bucket=name)
        both = json.loads(require_kms_if_exists(name, kms_arn))
        both["Statement"].append(deny_insecure(name))
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(both))
        assert sse_put(client, name) == "AccessDenied"
        assert sse_put(client, name, "AES256") == "AccessDenied"
        if srv.tls:
            assert_kms_allowed(sse_put(client, name, "aws:kms", kms_arn))
        else:  # the right encryption over plain HTTP: the transport Deny still applies
            assert sse_put(client, name, "aws:kms", kms_arn) == "AccessDenied"


# --------------------------------------------------------------------------
# Simulation: IAM SimulateCustomPolicy and `coffer policy simulate`
# --------------------------------------------------------------------------


def iam_client(server):
    return boto_session().client(
        "iam", region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=server.creds.access_key_id, aws_secret_access_key=server.creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}))


def test_simulate_custom_policy_with_a_bucket_policy(server, bucket):
    account = server.creds.account_id
    alice = f"arn:aws:iam::{account}:user/alice-{uuid.uuid4().hex[:6]}"
    bucket_policy = policy(bucket, {
        "Sid": "AliceReads", "Effect": "Allow", "Principal": {"AWS": alice}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}, {
        "Sid": "DenyNotAES256", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}})
    nothing = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]})
    iam = iam_client(server)
    results = iam.simulate_custom_policy(
        PolicyInputList=[nothing], ResourcePolicy=bucket_policy, CallerArn=alice,
        ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        ResourceArns=[f"arn:aws:s3:::{bucket}/k"])["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    # Same account: the bucket policy naming alice suffices without an identity grant.
    assert by_action["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by_action["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    assert by_action["s3:PutObject"]["EvalDecision"] == "explicitDeny"  # no encryption header in the context
    assert by_action["s3:DeleteObject"]["EvalDecision"] == "implicitDeny"
    sent = iam.simulate_custom_policy(
        PolicyInputList=[nothing], ResourcePolicy=bucket_policy, CallerArn=alice, ActionNames=["s3:PutObject"],
        ResourceArns=[f"arn:aws:s3:::{bucket}/k"],
        ContextEntries=[{"ContextKeyName": "s3:x-amz-server-side-encryption", "ContextKeyValues": ["AES256"],
                         "ContextKeyType": "string"}])["EvaluationResults"]
    assert sent[0]["EvalDecision"] == "allowed"
    # Another account owning the bucket: the bucket policy alone is not enough.
    other = iam.simulate_custom_policy(
        PolicyInputList=[nothing], ResourcePolicy=bucket_policy, CallerArn=alice, ActionNames=["s3:GetObject"],
        ResourceArns=[f"arn:aws:s3:::{bucket}/k"], ResourceOwner="arn:aws:iam::999988887777:root")
    assert other["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_coffer_policy_simulate_reads_the_bucket_policy(server, s3, bucket):
    account = server.creds.account_id
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Sid": "DenyNotAES256", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}))

    def simulate(*args):
        return subprocess.run([COFFER_BIN, "policy", "simulate", "--data-dir", str(server.data_dir),
                               "--principal", f"arn:aws:iam::{account}:user/admin", "--action", "s3:PutObject",
                               "--resource", f"arn:aws:s3:::{bucket}/k", *args],
                              capture_output=True, text=True, timeout=60)

    out = simulate()
    assert out.returncode == 3, out.stdout + out.stderr
    assert "Decision: explicitDeny" in out.stdout and "DenyNotAES256" in out.stdout
    out = simulate("--context", "s3:x-amz-server-side-encryption=AES256")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Decision: allowed" in out.stdout
