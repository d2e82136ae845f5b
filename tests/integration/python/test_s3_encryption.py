"""S3 server-side encryption against the real coffer binary: SSE-S3, SSE-KMS
(with and without a Bucket Key), DSSE-KMS and SSE-C through boto3 and the aws
CLI, on put/get/head/ranged get/multipart/copy; bucket default encryption;
KMS authorization failures; KMS calls in the audit trail as made by S3 for
the caller; SSE-C only over TLS.
"""

import base64
import hashlib
import json
import os
import uuid

import pytest
from boto3.s3.transfer import TransferConfig

from audit_helpers import FAST_LOOKUP, cloudtrail_events, make_cloudtrail, write_config
from conftest import REGION, Credentials, boto_session, make_kms
from test_s3 import make_s3, s3_error

MiB = 1024 * 1024


def new_bucket(s3):
    name = "sse-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def s3(server):
    return make_s3(server)


@pytest.fixture
def bucket(s3):
    return new_bucket(s3)


@pytest.fixture(scope="module")
def kms(server):
    return make_kms(server)


def test_sse_kms_put_get_head_range_with_a_named_key(s3, kms, bucket):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    body = os.urandom(300 * 1024)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == key_arn
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body
    assert got["SSEKMSKeyId"] == key_arn
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn
    ranged = s3.get_object(Bucket=bucket, Key="k", Range="bytes=100000-100099")
    assert ranged["Body"].read() == body[100000:100100]


def test_sse_kms_default_key_alias_and_context(s3, kms, bucket):
    put = s3.put_object(Bucket=bucket, Key="default", Body=b"d", ServerSideEncryption="aws:kms")
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"]
    assert managed["KeyManager"] == "AWS"
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    alias = "alias/sse-" + uuid.uuid4().hex[:8]
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    context = base64.b64encode(json.dumps({"app": "billing"}).encode()).decode()
    put = s3.put_object(Bucket=bucket, Key="ctx", Body=b"c", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias,
                        SSEKMSEncryptionContext=context)
    assert put["SSEKMSKeyId"] == key_arn
    echoed = json.loads(base64.b64decode(put["SSEKMSEncryptionContext"]))
    assert echoed == {"app": "billing", "aws:s3:arn": f"arn:aws:s3:::{bucket}/ctx"}
    assert s3.get_object(Bucket=bucket, Key="ctx")["Body"].read() == b"c"
    s3_error("InvalidArgument", 400, s3.put_object, Bucket=bucket, Key="bad", Body=b"x",
             ServerSideEncryption="aws:kms", SSEKMSEncryptionContext="bm90IGpzb24=")
    s3_error("InvalidArgument", 400, s3.put_object, Bucket=bucket, Key="bad", Body=b"x", SSEKMSKeyId=key_arn)


def test_dsse_kms_round_trip(s3, bucket):
    body = os.urandom(200 * 1024)
    put = s3.put_object(Bucket=bucket, Key="d", Body=body, ServerSideEncryption="aws:kms:dsse",
                        BucketKeyEnabled=True)
    assert put["ServerSideEncryption"] == "aws:kms:dsse"
    assert not put.get("BucketKeyEnabled", False)
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == body
    assert s3.get_object(Bucket=bucket, Key="d", Range="bytes=-10")["Body"].read() == body[-10:]


def test_kms_key_failures(s3, kms, bucket):
    s3_error("KMS.NotFoundException", 400, s3.put_object, Bucket=bucket, Key="x", Body=b"x",
             ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/does-not-exist")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="before", Body=b"v", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    kms.disable_key(KeyId=key_id)
    s3_error("KMS.DisabledException", 400, s3.put_object, Bucket=bucket, Key="x", Body=b"x",
             ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    s3_error("KMS.DisabledException", 400, s3.get_object, Bucket=bucket, Key="before")
    kms.enable_key(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    s3_error("KMS.KMSInvalidStateException", 400, s3.get_object, Bucket=bucket, Key="before")


def test_user_without_kms_decrypt(server, s3, kms, bucket):
    iam = boto_session().client("iam", region_name=REGION, endpoint_url=server.endpoint,
                                aws_access_key_id=server.creds.access_key_id,
                                aws_secret_access_key=server.creds.secret_access_key)
    name = "writer-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    writer = make_s3(server, creds=Credentials(key["AccessKeyId"], key["SecretAccessKey"], server.creds.account_id))
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    writer.put_object(Bucket=bucket, Key="w", Body=b"written", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    s3_error("AccessDenied", 403, writer.get_object, Bucket=bucket, Key="w")
    assert s3.get_object(Bucket=bucket, Key="w")["Body"].read() == b"written"


def test_multipart_and_copy_with_kms(s3, tmp_path, bucket):
    data = os.urandom(12 * MiB + 123)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(src), bucket, "big", Config=config,
                   ExtraArgs={"ServerSideEncryption": "aws:kms"})
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ServerSideEncryption"] == "aws:kms" and "BucketKeyEnabled" not in head
    assert head["ETag"].endswith('-3"')
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data
    part = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MiB - 5}-{5 * MiB + 4}")["Body"].read()
    assert part == data[5 * MiB - 5:5 * MiB + 5]
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "big"},
                            ServerSideEncryption="aws:kms:dsse")
    assert copied["ServerSideEncryption"] == "aws:kms:dsse"
    assert hashlib.sha256(s3.get_object(Bucket=bucket, Key="copy")["Body"].read()).digest() == \
        hashlib.sha256(data).digest()


def test_copy_onto_itself_needs_a_change(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"same")
    s3_error("InvalidRequest", 400, s3.copy_object, Bucket=bucket, Key="o", CopySource={"Bucket": bucket, "Key": "o"})
    out = s3.copy_object(Bucket=bucket, Key="o", CopySource={"Bucket": bucket, "Key": "o"},
                         ServerSideEncryption="aws:kms", MetadataDirective="COPY")
    assert out["ServerSideEncryption"] == "aws:kms"
    assert s3.head_object(Bucket=bucket, Key="o")["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"same"


def test_bucket_default_encryption(s3, kms, aws_cli, bucket):
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    aws_cli("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
            json.dumps({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                                         "KMSMasterKeyID": key_arn},
                                   "BucketKeyEnabled": True}]}), output="text")
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert rule["BucketKeyEnabled"] is True
    put = s3.put_object(Bucket=bucket, Key="defaulted", Body=b"v")
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key_arn
    assert put["BucketKeyEnabled"] is True
    out = aws_cli("s3api", "head-object", "--bucket", bucket, "--key", "defaulted")
    assert out["ServerSideEncryption"] == "aws:kms"
    s3_error("MalformedXML", 400, s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES128"}}]})
    s3_error("InvalidArgument", 400, s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": key_arn}}]})
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.put_object(Bucket=bucket, Key="after", Body=b"v")["ServerSideEncryption"] == "AES256"


def test_bucket_keys_cut_kms_calls_in_the_trail(fresh_server, tmp_path):
    server = fresh_server(extra_args=["--quota-config", write_config(tmp_path, FAST_LOOKUP)])
    s3 = make_s3(server)
    trail = make_cloudtrail(server)
    with_key, without = new_bucket(s3), new_bucket(s3)
    for i in range(1000):
        s3.put_object(Bucket=with_key, Key=f"k{i}", Body=b"x", ServerSideEncryption="aws:kms", BucketKeyEnabled=True)
    for i in range(100):
        s3.put_object(Bucket=without, Key=f"k{i}", Body=b"x", ServerSideEncryption="aws:kms")
    events = cloudtrail_events(trail, LookupAttributes=[{"AttributeKey": "EventName",
                                                         "AttributeValue": "GenerateDataKey"}])
    by_s3 = [e for e in events if e["userIdentity"].get("invokedBy") == "s3.amazonaws.com"]
    bucket_keyed = [e for e in by_s3 if e["requestParameters"]["encryptionContext"]["aws:s3:arn"]
                    == f"arn:aws:s3:::{with_key}"]
    per_object = [e for e in by_s3 if e["requestParameters"]["encryptionContext"]["aws:s3:arn"]
                  .startswith(f"arn:aws:s3:::{without}/")]
    assert 1 <= len(bucket_keyed) <= 2, f"{len(bucket_keyed)} GenerateDataKey for 1000 PUTs with a Bucket Key"
    assert len(per_object) == 100
    event = by_s3[0]
    assert event["eventSource"] == "kms.amazonaws.com"
    assert event["sourceIPAddress"] == "s3.amazonaws.com"
    assert event["userIdentity"]["arn"].endswith(":user/admin")


def test_sse_c_over_tls(fresh_server):
    server = fresh_server(tls=True)
    s3 = make_s3(server)
    bucket = new_bucket(s3)
    key = os.urandom(32)
    body = os.urandom(150 * 1024)
    put = s3.put_object(Bucket=bucket, Key="c", Body=body, SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    got = s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["Body"].read() == body
    ranged = s3.get_object(Bucket=bucket, Key="c", Range="bytes=10-19", SSECustomerAlgorithm="AES256",
                           SSECustomerKey=key)
    assert ranged["Body"].read() == body[10:20]
    assert s3.head_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256",
                          SSECustomerKey=key)["SSECustomerAlgorithm"] == "AES256"
    s3_error("InvalidRequest", 400, s3.get_object, Bucket=bucket, Key="c")
    s3_error("AccessDenied", 403, s3.get_object, Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256",
             SSECustomerKey=os.urandom(32))
    s3_error("400", 400, s3.head_object, Bucket=bucket, Key="c")
    # Multipart: every part carries the key.
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    import io
    big = os.urandom(11 * MiB)
    s3.upload_fileobj(io.BytesIO(big), bucket, "mp", Config=config,
                      ExtraArgs={"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key})
    assert s3.get_object(Bucket=bucket, Key="mp", SSECustomerAlgorithm="AES256",
                         SSECustomerKey=key)["Body"].read() == big
    # Copy re-encrypts from the customer key to SSE-KMS.
    out = s3.copy_object(Bucket=bucket, Key="kms", CopySource={"Bucket": bucket, "Key": "c"},
                         CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                         ServerSideEncryption="aws:kms")
    assert out["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == body
    s3_error("InvalidRequest", 400, s3.copy_object, Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "c"})


def test_sse_c_refused_over_plain_http(s3, bucket):
    s3_error("InvalidRequest", 400, s3.put_object, Bucket=bucket, Key="c", Body=b"x",
             SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))


def test_coffer_s3_reencrypt_resumes_and_reports(server, s3, kms, tmp_path):
    from conftest import COFFER_BIN
    import subprocess
    bucket = new_bucket(s3)
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"data/{i}", Body=f"v{i}".encode())
    s3.put_object(Bucket=bucket, Key="other", Body=b"o")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    state, report = tmp_path / "state.json", tmp_path / "report.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": server.creds.access_key_id, "AWS_SECRET_ACCESS_KEY": server.creds.secret_access_key,
                "AWS_REGION": REGION, "HOME": str(tmp_path)})
    cmd = [COFFER_BIN, "s3", "reencrypt", "--endpoint", server.endpoint, "--bucket", bucket, "--prefix", "data/",
           "--to", "aws:kms", "--key", key_arn, "--state", str(state), "--report", str(report)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"reencrypted": 5, "failed": 0}
    for i in range(5):
        head = s3.head_object(Bucket=bucket, Key=f"data/{i}")
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn
        assert s3.get_object(Bucket=bucket, Key=f"data/{i}")["Body"].read() == f"v{i}".encode()
    assert s3.head_object(Bucket=bucket, Key="other")["ServerSideEncryption"] == "AES256"
    assert json.loads(state.read_text()) == {"last_key": "data/4"}
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert [line["key"] for line in lines] == [f"data/{i}" for i in range(5)]
    assert all(line["status"] == "reencrypted" and line["kms_key"] == key_arn for line in lines)
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0 and json.loads(again.stdout) == {"reencrypted": 0, "failed": 0}, "resumed after data/4"
    bad = subprocess.run(cmd[:-8] + ["--to", "aws:kms", "--key", "alias/none"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert bad.returncode == 1 and "KMS.NotFoundException" in bad.stderr
