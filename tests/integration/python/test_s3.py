"""S3 on Coffer's endpoint, driven with boto3, the aws CLI, raw SigV4 requests,
s3cmd and rclone.

Path-style addressing (http://127.0.0.1:PORT/bucket/key) unless a test says
otherwise. Every error case feeds exactly the input that causes it and checks
the S3 error code and HTTP status. Expiry of presigned URLs runs on the
server's --test-clock; nothing sleeps.
"""

import json
import base64
import datetime
import hashlib
import http.client
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zlib

import botocore.credentials
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from audit_helpers import cloudtrail_events, make_cloudtrail
from conftest import REGION, Credentials, boto_session, wait_for
from test_session_expiry import clocks  # noqa: F401  (fixture)

MiB = 1024 * 1024
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def make_s3(server, creds=None, region=REGION, unsigned=False, **config):
    """A boto3 S3 client for `server` (path-style, no retries): signed with
    `creds` (the server's admin by default) or, with unsigned=True, anonymous.
    Over HTTPS it accepts the server's self-signed certificate."""
    cfg = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"},
                 signature_version=UNSIGNED if unsigned else "s3v4",
                 connect_timeout=10, read_timeout=120, **config)
    keys = {}
    if not unsigned:
        creds = creds or server.creds
        keys = {"aws_access_key_id": creds.access_key_id, "aws_secret_access_key": creds.secret_access_key}
    verify = False if server.endpoint.startswith("https") else None
    return boto_session().client("s3", region_name=region, endpoint_url=server.endpoint, config=cfg,
                                 verify=verify, **keys)


def s3_error(code, status, fn, *args, **kwargs):
    """Calls fn, asserts S3 error `code` with HTTP `status`; returns the response."""
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    r = info.value.response
    assert r["Error"]["Code"] == code, f"expected {code}, got {r['Error']} (HTTP {r['ResponseMetadata']['HTTPStatusCode']})"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == status, \
        f"{code}: expected HTTP {status}, got {r['ResponseMetadata']['HTTPStatusCode']}"
    return r


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def md5_etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


def multipart_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def b64(data):
    return base64.b64encode(data).decode()


def crc32_b64(data):
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c_b64(data):
    c = 0xFFFFFFFF
    for byte in data:
        c = _CRC32C[(c ^ byte) & 0xFF] ^ (c >> 8)
    return b64((c ^ 0xFFFFFFFF).to_bytes(4, "big"))


def strip_ns(elem):
    for e in elem.iter():
        if e.tag.startswith("{"):
            e.tag = e.tag.split("}", 1)[1]
    return elem


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def xml(self):
        return strip_ns(ET.fromstring(self.body))

    def error_code(self):
        return self.xml().findtext("Code")


def raw_request(server, method, path, query="", headers=None, body=b"", creds=None, region=REGION,
                signer="s3", sign_body=None, host=None):
    """Sends one request with http.client.

    signer: "s3" (S3SigV4Auth: hashes the body it is given), "v4" (SigV4Auth: keeps
    an x-amz-content-sha256 header the caller set) or None (anonymous).
    sign_body: the body to sign when it differs from the one sent.
    """
    creds = creds or server.creds
    headers = dict(headers or {})
    headers.setdefault("Host", host or f"127.0.0.1:{server.port}")
    target = path + ("?" + query if query else "")
    if signer:
        request = AWSRequest(method=method, url=f"http://127.0.0.1:{server.port}{target}",
                             data=body if sign_body is None else sign_body, headers=headers)
        auth_cls = S3SigV4Auth if signer == "s3" else SigV4Auth
        auth_cls(botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key),
                 "s3", region).add_auth(request)
        headers = dict(request.headers.items())
    headers["Content-Length"] = str(len(body))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def with_headers(client, operation, headers, **kwargs):
    """Calls client.<operation> with extra (signed) request headers."""
    event = f"before-sign.s3.{''.join(p.capitalize() for p in operation.split('_'))}"
    uid = "coffer-extra-" + uuid.uuid4().hex

    def add(request, **_):
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register_first(event, add, unique_id=uid)
    try:
        return getattr(client, operation)(**kwargs)
    finally:
        client.meta.events.unregister(event, unique_id=uid)


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def error_code_of(body):
    return strip_ns(ET.fromstring(body)).findtext("Code")


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3(server):
    return make_s3(server)


@pytest.fixture
def bucket(s3):
    """A fresh, empty bucket in us-east-1."""
    name = "it-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def second_account(server):
    account = server.admin("create-account")
    account_id = account["AccountId"]
    server.admin("create-user", "--account-id", account_id, "--user-name", "s3bob")
    key = server.admin("create-access-key", "--account-id", account_id, "--user-name", "s3bob")
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id)


# --------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    name = "it-life-" + uuid.uuid4().hex[:12]
    created = s3.create_bucket(Bucket=name)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert created["Location"] == "/" + name
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    listed = {b["Name"]: b for b in s3.list_buckets()["Buckets"]}
    assert name in listed and isinstance(listed[name]["CreationDate"], datetime.datetime)
    assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") in (None, "")
    # The owner re-creating a us-east-1 bucket gets 200 (legacy behaviour).
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200

    s3.put_object(Bucket=name, Key="k", Body=b"x")
    s3_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=name)
    s3.delete_object(Bucket=name, Key="k")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3_error("404", 404, s3.head_bucket, Bucket=name)
    s3_error("NoSuchBucket", 404, s3.get_object, Bucket=name, Key="k")
    s3_error("NoSuchBucket", 404, s3.put_object, Bucket=name, Key="k", Body=b"x")
    s3_error("NoSuchBucket", 404, s3.delete_bucket, Bucket=name)
    assert name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "Upper-case", "a..b", "192.168.5.4", "-start", "end-", "dot.-dash",
    "under_score", "xn--punycode", "bucket-s3alias", "sthree-bucket",
])
def test_invalid_bucket_names(s3, name):
    s3_error("InvalidBucketName", 400, s3.create_bucket, Bucket=name)


def test_valid_bucket_name_edges(s3):
    tag = uuid.uuid4().hex
    for name in ["z" + tag[:2], "a" * 55 + tag[:8], "a.b-c." + tag[:8], "1" + tag[:10]]:
        s3.create_bucket(Bucket=name)
        s3.head_bucket(Bucket=name)


def test_location_constraints(server, s3):
    name = "it-loc-" + uuid.uuid4().hex[:12]
    s3_error("IllegalLocationConstraintException", 400, s3.create_bucket, Bucket=name,
             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3_error("InvalidLocationConstraint", 400, s3.create_bucket, Bucket=name,
             CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    eu = make_s3(server, region="eu-west-1")
    s3_error("IllegalLocationConstraintException", 400, eu.create_bucket, Bucket=name)
    eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    head = eu.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"
    s3_error("BucketAlreadyOwnedByYou", 409, eu.create_bucket, Bucket=name,
             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_bucket_name_taken_by_another_account(server, s3, bucket, second_account):
    other = make_s3(server, creds=second_account)
    s3_error("BucketAlreadyExists", 409, other.create_bucket, Bucket=bucket)
    assert bucket not in {b["Name"] for b in other.list_buckets()["Buckets"]}


def test_list_buckets_prefix_and_pages(server, s3):
    prefix = "it-lb-" + uuid.uuid4().hex[:8] + "-"
    names = [prefix + s for s in ("a", "b", "c")]
    for n in names:
        s3.create_bucket(Bucket=n)
    seen, token, pages = [], None, 0
    while True:
        query = f"prefix={prefix}&max-buckets=2"
        if token:
            query += "&continuation-token=" + urllib.parse.quote(token, safe="")
        r = raw_request(server, "GET", "/", query)
        assert r.status == 200, r.body
        doc = r.xml()
        pages += 1
        batch = [b.findtext("Name") for b in doc.iter("Bucket")]
        assert len(batch) <= 2
        seen += batch
        assert doc.findtext("Prefix") == prefix
        token = doc.findtext("ContinuationToken")
        if not token:
            break
        assert pages < 5, "pagination did not end"
    assert seen == names
    assert pages == 2


def test_bucket_tagging(s3, bucket):
    s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=bucket)
    tags = [{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "test"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=bucket)


def test_public_access_block(s3, bucket):
    s3_error("NoSuchPublicAccessBlockConfiguration", 404, s3.get_public_access_block, Bucket=bucket)
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
              "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config
    s3.delete_public_access_block(Bucket=bucket)
    s3_error("NoSuchPublicAccessBlockConfiguration", 404, s3.get_public_access_block, Bucket=bucket)


# --------------------------------------------------------------------------
# Objects: round trips
# --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, MiB, 20 * MiB + 123])
def test_put_get_round_trip(s3, bucket, size):
    data = os.urandom(size)
    put = s3.put_object(Bucket=bucket, Key=f"obj-{size}", Body=data)
    assert put["ETag"] == md5_etag(data)
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key=f"obj-{size}")
    body = got["Body"].read()
    assert len(body) == size and sha256(body) == sha256(data)
    assert got["ContentLength"] == size
    assert got["ETag"] == md5_etag(data)
    assert got["ServerSideEncryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key=f"obj-{size}")
    assert head["ContentLength"] == size and head["ETag"] == md5_etag(data)
    assert head["ServerSideEncryption"] == "AES256"


def test_transfer_manager_multipart_and_ranged_download(s3, bucket, tmp_path):
    size = 20 * MiB + 4321
    data = os.urandom(size)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_file(str(src), bucket, "big/file.bin", Config=cfg)
    chunks = [data[i:i + 5 * MiB] for i in range(0, size, 5 * MiB)]
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ContentLength"] == size
    assert head["ETag"] == multipart_etag(chunks)
    dst = tmp_path / "down.bin"
    s3.download_file(bucket, "big/file.bin", str(dst), Config=cfg)
    assert sha256(dst.read_bytes()) == sha256(data)

    part2 = s3.get_object(Bucket=bucket, Key="big/file.bin", PartNumber=2)
    assert part2["PartsCount"] == len(chunks)
    assert part2["ContentLength"] == 5 * MiB
    assert part2["ContentRange"] == f"bytes {5 * MiB}-{10 * MiB - 1}/{size}"
    assert sha256(part2["Body"].read()) == sha256(chunks[1])
    attrs = s3.get_object_attributes(Bucket=bucket, Key="big/file.bin",
                                     ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "ObjectParts"])
    assert attrs["ObjectSize"] == size
    assert attrs["ETag"] == multipart_etag(chunks).strip('"')
    assert attrs["StorageClass"] == "STANDARD"
    assert attrs["ObjectParts"]["TotalPartsCount"] == len(chunks)


def test_get_object_attributes_single_part(s3, bucket):
    data = b"attributes!" * 100
    s3.put_object(Bucket=bucket, Key="a", Body=data, ChecksumAlgorithm="SHA256")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="a",
                                     ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"])
    assert attrs["ETag"] == hashlib.md5(data).hexdigest()
    assert attrs["ObjectSize"] == len(data)
    assert attrs["StorageClass"] == "STANDARD"
    assert attrs["Checksum"]["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())
    s3_error("NoSuchKey", 404, s3.get_object_attributes, Bucket=bucket, Key="missing",
             ObjectAttributes=["ETag"])


# --------------------------------------------------------------------------
# aws CLI
# --------------------------------------------------------------------------


def test_cli_cp_multipart_up_and_down(aws_cli, s3, bucket, tmp_path):
    data = os.urandom(12 * MiB)
    src = tmp_path / "twelve.bin"
    src.write_bytes(data)
    aws_cli("s3", "cp", str(src), f"s3://{bucket}/cli/twelve.bin", output="text")
    head = aws_cli("s3api", "head-object", "--bucket", bucket, "--key", "cli/twelve.bin")
    assert head["ContentLength"] == 12 * MiB
    # The CLI's default 8 MiB chunks: two parts.
    assert head["ETag"] == multipart_etag([data[:8 * MiB], data[8 * MiB:]])
    assert head["ServerSideEncryption"] == "AES256"
    dst = tmp_path / "back.bin"
    aws_cli("s3", "cp", f"s3://{bucket}/cli/twelve.bin", str(dst), output="text")
    assert sha256(dst.read_bytes()) == sha256(data)


def test_cli_head_object_missing(aws_cli, bucket):
    out = aws_cli("s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert out.returncode != 0
    assert "404" in out.stderr or "Not Found" in out.stderr, out.stderr


def test_cli_sync_ls_rm(aws_cli, s3, bucket, tmp_path):
    tree = tmp_path / "tree"
    files = {"a.txt": b"alpha\n", "sub/b.txt": b"bravo\n" * 10, "sub/deeper/c.bin": os.urandom(3000),
             "sub/deeper/empty": b""}
    for rel, content in files.items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
    aws_cli("s3", "sync", str(tree), f"s3://{bucket}/tree", output="text")
    for rel, content in files.items():
        assert s3.get_object(Bucket=bucket, Key="tree/" + rel)["Body"].read() == content
    # Nothing changed: a second sync uploads nothing.
    assert aws_cli("s3", "sync", str(tree), f"s3://{bucket}/tree", output="text") == ""
    listing = aws_cli("s3", "ls", f"s3://{bucket}/tree/", "--recursive", output="text")
    keys = sorted(line.split()[-1] for line in listing.splitlines())
    assert keys == sorted("tree/" + rel for rel in files)
    sizes = {line.split()[-1]: int(line.split()[2]) for line in listing.splitlines()}
    assert sizes["tree/sub/deeper/c.bin"] == 3000
    aws_cli("s3", "rm", f"s3://{bucket}/tree", "--recursive", output="text")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    out = aws_cli("s3", "ls", f"s3://{bucket}/tree/", "--recursive", output="text", check=False)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------
# Ranges and conditionals
# --------------------------------------------------------------------------


def test_ranges(s3, bucket):
    data = bytes(range(100))
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    cases = {"bytes=0-9": (0, 9), "bytes=-5": (95, 99), "bytes=90-": (90, 99), "bytes=95-200": (95, 99),
             "bytes=50-50": (50, 50)}
    for header, (first, last) in cases.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, header
        assert got["ContentRange"] == f"bytes {first}-{last}/100", header
        assert got["ContentLength"] == last - first + 1, header
        assert got["Body"].read() == data[first:last + 1], header
    s3_error("InvalidRange", 416, s3.get_object, Bucket=bucket, Key="r", Range="bytes=100-")
    s3_error("InvalidRange", 416, s3.get_object, Bucket=bucket, Key="r", Range="bytes=500-600")


def test_conditional_get(s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    head = s3.head_object(Bucket=bucket, Key="c")
    etag, modified = head["ETag"], head["LastModified"]
    hour = datetime.timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    s3_error("PreconditionFailed", 412, s3.get_object, Bucket=bucket, Key="c", IfMatch='"0123456789abcdef"')
    s3_error("304", 304, s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"other"')["Body"].read() == b"conditional"
    s3_error("304", 304, s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=modified + hour)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified - 24 * hour)["ETag"] == etag
    s3_error("PreconditionFailed", 412, s3.get_object, Bucket=bucket, Key="c",
             IfUnmodifiedSince=modified - 24 * hour)
    assert s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=modified + hour)["ETag"] == etag
    s3_error("412", 412, s3.head_object, Bucket=bucket, Key="c", IfMatch='"0123456789abcdef"')
    s3_error("304", 304, s3.head_object, Bucket=bucket, Key="c", IfNoneMatch=etag)


def test_conditional_put(s3, bucket):
    first = with_headers(s3, "put_object", {"If-None-Match": "*"}, Bucket=bucket, Key="cp", Body=b"one")
    assert first["ETag"] == md5_etag(b"one")
    s3_error("PreconditionFailed", 412, with_headers, s3, "put_object", {"If-None-Match": "*"},
             Bucket=bucket, Key="cp", Body=b"two")
    s3_error("PreconditionFailed", 412, with_headers, s3, "put_object", {"If-Match": md5_etag(b"nope")},
             Bucket=bucket, Key="cp", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="cp")["Body"].read() == b"one"
    with_headers(s3, "put_object", {"If-Match": md5_etag(b"one")}, Bucket=bucket, Key="cp", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="cp")["Body"].read() == b"two"
    s3_error("NoSuchKey", 404, with_headers, s3, "put_object", {"If-Match": md5_etag(b"one")},
             Bucket=bucket, Key="absent", Body=b"x")


# --------------------------------------------------------------------------
# Metadata, headers, digests, checksums
# --------------------------------------------------------------------------


def test_metadata_and_content_headers(s3, bucket):
    expires = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    s3.put_object(Bucket=bucket, Key="m", Body=b"{}", ContentType="application/json",
                  ContentEncoding="identity", ContentDisposition='attachment; filename="m.json"',
                  ContentLanguage="en-GB", CacheControl="max-age=60", Expires=expires,
                  Metadata={"color": "blue", "Mixed-Case": "Value with spaces"})
    for out in (s3.get_object(Bucket=bucket, Key="m"), s3.head_object(Bucket=bucket, Key="m")):
        assert out["ContentType"] == "application/json"
        assert out["ContentEncoding"] == "identity"
        assert out["ContentDisposition"] == 'attachment; filename="m.json"'
        assert out["ContentLanguage"] == "en-GB"
        assert out["CacheControl"] == "max-age=60"
        assert out["Expires"] == expires
        assert out["Metadata"] == {"color": "blue", "mixed-case": "Value with spaces"}
    over = s3.get_object(Bucket=bucket, Key="m", ResponseContentType="text/plain",
                         ResponseContentDisposition="inline", ResponseCacheControl="no-cache",
                         ResponseContentLanguage="fr", ResponseContentEncoding="br")
    assert over["ContentType"] == "text/plain"
    assert over["ContentDisposition"] == "inline"
    assert over["CacheControl"] == "no-cache"
    assert over["ContentLanguage"] == "fr"
    assert over["ContentEncoding"] == "br"
    # Default content type.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] in ("binary/octet-stream",
                                                                        "application/octet-stream")


def test_metadata_too_large(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x", Metadata={"a": "v" * 2000})
    s3_error("MetadataTooLarge", 400, s3.put_object, Bucket=bucket, Key="big", Body=b"x",
             Metadata={"big": "v" * 2048})
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="big")


def test_content_md5(s3, bucket):
    data = b"digest me"
    s3.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=b64(hashlib.md5(data).digest()))
    s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key="md5bad", Body=data,
             ContentMD5=b64(hashlib.md5(b"other bytes").digest()))
    s3_error("InvalidDigest", 400, s3.put_object, Bucket=bucket, Key="md5bad", Body=data,
             ContentMD5="not-base64!!")
    s3_error("InvalidDigest", 400, s3.put_object, Bucket=bucket, Key="md5bad", Body=data,
             ContentMD5=b64(b"short"))
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="md5bad")


def test_checksum_headers(s3, bucket):
    data = b"checksummed payload " * 50
    expected = {
        "CRC32": crc32_b64(data),
        "CRC32C": crc32c_b64(data),
        "SHA1": b64(hashlib.sha1(data).digest()),
        "SHA256": b64(hashlib.sha256(data).digest()),
    }
    for algorithm, value in expected.items():
        key = "ck-" + algorithm
        s3.put_object(Bucket=bucket, Key=key, Body=data, **{"Checksum" + algorithm: value})
        attrs = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["Checksum"])
        assert attrs["Checksum"]["Checksum" + algorithm] == value, algorithm
        wrong = {"CRC32": crc32_b64(b"x"), "CRC32C": crc32c_b64(b"x"),
                 "SHA1": b64(hashlib.sha1(b"x").digest()), "SHA256": b64(hashlib.sha256(b"x").digest())}
        s3_error("BadDigest", 400, s3.put_object, Bucket=bucket, Key=key + "-bad", Body=data,
                 **{"Checksum" + algorithm: wrong[algorithm]})
        s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key=key + "-bad")
    # botocore computing the checksum itself.
    s3.put_object(Bucket=bucket, Key="ck-auto", Body=data, ChecksumAlgorithm="CRC32")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="ck-auto", ObjectAttributes=["Checksum"])
    assert attrs["Checksum"]["ChecksumCRC32"] == expected["CRC32"]


def aws_chunked_trailer_body(data, trailer_name, trailer_value, chunk=64 * 1024):
    out = b""
    for i in range(0, len(data), chunk):
        piece = data[i:i + chunk]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    out += b"0\r\n" + f"{trailer_name}:{trailer_value}\r\n\r\n".encode()
    return out


def put_with_trailer(server, bucket, key, data, checksum):
    body = aws_chunked_trailer_body(data, "x-amz-checksum-crc32", checksum)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
               "Content-Type": "application/octet-stream"}
    return raw_request(server, "PUT", f"/{bucket}/{key}", headers=headers, body=body, signer="v4")


def test_aws_chunked_unsigned_trailer(server, s3, bucket):
    data = os.urandom(200 * 1024 + 7)
    r = put_with_trailer(server, bucket, "trailer", data, crc32_b64(data))
    assert r.status == 200, r.body
    assert r.headers.get("etag") == md5_etag(data)
    got = s3.get_object(Bucket=bucket, Key="trailer")
    assert got["Body"].read() == data
    assert got.get("ContentEncoding") in (None, ""), "aws-chunked must not be stored as Content-Encoding"
    attrs = s3.get_object_attributes(Bucket=bucket, Key="trailer", ObjectAttributes=["Checksum"])
    assert attrs["Checksum"]["ChecksumCRC32"] == crc32_b64(data)
    bad = put_with_trailer(server, bucket, "trailer-bad", data, crc32_b64(b"different"))
    assert (bad.status, bad.error_code()) == (400, "BadDigest"), bad.body
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="trailer-bad")


def test_content_sha256_mismatch(server, s3, bucket):
    r = raw_request(server, "PUT", f"/{bucket}/sha", body=b"the bytes actually sent",
                    sign_body=b"the bytes that were signed")
    assert r.status == 400, r.body
    assert r.error_code() == "XAmzContentSHA256Mismatch", r.body
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="sha")
    ok = raw_request(server, "PUT", f"/{bucket}/sha", body=b"the bytes actually sent")
    assert ok.status == 200, ok.body


def test_virtual_hosted_style(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/v.txt", Body=b"virtual")
    host = f"{bucket}.localhost:{server.port}"
    r = raw_request(server, "GET", "/dir/v.txt", host=host)
    assert r.status == 200, r.body
    assert r.body == b"virtual"
    listing = raw_request(server, "GET", "/", "list-type=2&prefix=dir%2F", host=host)
    assert listing.status == 200, listing.body
    assert [c.findtext("Key") for c in listing.xml().iter("Contents")] == ["dir/v.txt"]
    put = raw_request(server, "PUT", "/dir/w.txt", body=b"vh put", host=host)
    assert put.status == 200, put.body
    assert s3.get_object(Bucket=bucket, Key="dir/w.txt")["Body"].read() == b"vh put"


# --------------------------------------------------------------------------
# Tagging, listing, copy, delete
# --------------------------------------------------------------------------


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="project=coffer&tier=two%20words")
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("project", "coffer"), ("tier", "two words")]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "only", "Value": "one"}]
    assert s3.delete_object_tagging(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    s3_error("NoSuchKey", 404, s3.get_object_tagging, Bucket=bucket, Key="missing")


def test_list_delimiter_prefix_start_after_owner(s3, bucket):
    keys = ["docs/readme.md", "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "top.txt"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    root = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [c["Key"] for c in root["Contents"]] == ["top.txt"]
    assert [p["Prefix"] for p in root["CommonPrefixes"]] == ["docs/", "photos/"]
    assert root["KeyCount"] == 3
    photos = s3.list_objects_v2(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert "Contents" not in photos
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="photos/2024/a.jpg")
    assert [c["Key"] for c in after["Contents"]] == keys[2:]
    plain = s3.list_objects_v2(Bucket=bucket, Prefix="top")["Contents"][0]
    assert plain["Size"] == len(b"top.txt") and plain["ETag"] == md5_etag(b"top.txt")
    assert plain["StorageClass"] == "STANDARD" and "Owner" not in plain
    owned = s3.list_objects_v2(Bucket=bucket, Prefix="top", FetchOwner=True)["Contents"][0]
    assert owned["Owner"]["ID"]
    s3_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket="it-missing-" + uuid.uuid4().hex[:12])


def test_list_pagination(s3, bucket):
    keys = sorted(f"page/{i:03d}" for i in range(25))
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"p")
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 10}))
    assert [p["KeyCount"] for p in pages] == [10, 10, 5]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    assert [c["Key"] for p in pages for c in p["Contents"]] == keys
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 10}))
    assert [len(p["Contents"]) for p in v1] == [10, 10, 5]
    assert [c["Key"] for p in v1 for c in p["Contents"]] == keys
    # v1 by hand: Marker.
    first = s3.list_objects(Bucket=bucket, MaxKeys=10)
    assert first["IsTruncated"] and first["Contents"][-1]["Key"] == keys[9]
    second = s3.list_objects(Bucket=bucket, MaxKeys=10, Marker=keys[9])
    assert second["Contents"][0]["Key"] == keys[10]


def test_list_v1_next_marker_with_delimiter(s3, bucket):
    for k in ["d/1", "d/2", "e/1", "f", "g"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    first = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert first["IsTruncated"] is True
    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["d/", "e/"]
    assert first["NextMarker"] == "e/"
    second = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=first["NextMarker"])
    assert [c["Key"] for c in second["Contents"]] == ["f", "g"]
    assert second["IsTruncated"] is False


def test_list_encoding_type_url(s3, bucket):
    keys = ["sp ace/a b.txt", "plus+sign", "unicodé/ключ.txt", "amp&eq=?.txt", "tilde~x", "pct%41"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    for k in keys:
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == k.encode(), k
    # botocore asks for encoding-type=url by itself and decodes.
    assert sorted(c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]) == sorted(keys)
    raw = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert raw["EncodingType"] == "url"
    encoded = [c["Key"] for c in raw["Contents"]]
    for e in encoded:
        assert " " not in e and "&" not in e and all(ord(ch) < 128 for ch in e), e
    assert sorted(urllib.parse.unquote_plus(e) for e in encoded) == sorted(keys)
    assert "plus%2Bsign" in encoded
    prefixes = s3.list_objects_v2(Bucket=bucket, Delimiter="/", EncodingType="url")["CommonPrefixes"]
    assert sorted(urllib.parse.unquote_plus(p["Prefix"]) for p in prefixes) == ["sp ace/", "unicodé/"]
    v1 = s3.list_objects(Bucket=bucket)["Contents"]
    assert sorted(c["Key"] for c in v1) == sorted(keys)


def test_copy_object(s3, bucket):
    other = "it-copy-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=other)
    data = os.urandom(4096)
    src = s3.put_object(Bucket=bucket, Key="src", Body=data, ContentType="image/png",
                        Metadata={"origin": "source"})
    etag = src["ETag"]
    same = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert same["CopyObjectResult"]["ETag"] == etag
    head = s3.head_object(Bucket=bucket, Key="copy")
    assert (head["ContentType"], head["Metadata"]) == ("image/png", {"origin": "source"})
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == data

    s3.copy_object(Bucket=other, Key="x/replaced", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   ContentType="text/plain", Metadata={"new": "meta"})
    head = s3.head_object(Bucket=other, Key="x/replaced")
    assert (head["ContentType"], head["Metadata"]) == ("text/plain", {"new": "meta"})
    assert s3.get_object(Bucket=other, Key="x/replaced")["Body"].read() == data

    day = datetime.timedelta(days=1)
    modified = s3.head_object(Bucket=bucket, Key="src")["LastModified"]
    for cond in ({"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
                 {"CopySourceIfNoneMatch": etag},
                 {"CopySourceIfModifiedSince": modified + day},
                 {"CopySourceIfUnmodifiedSince": modified - day}):
        s3_error("PreconditionFailed", 412, s3.copy_object, Bucket=bucket, Key="cond",
                 CopySource={"Bucket": bucket, "Key": "src"}, **cond)
    s3.copy_object(Bucket=bucket, Key="cond", CopySource={"Bucket": bucket, "Key": "src"},
                   CopySourceIfMatch=etag, CopySourceIfUnmodifiedSince=modified + day)
    s3_error("InvalidRequest", 400, s3.copy_object, Bucket=bucket, Key="src",
             CopySource={"Bucket": bucket, "Key": "src"})
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"origin": "replaced"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"origin": "replaced"}
    s3_error("NoSuchKey", 404, s3.copy_object, Bucket=bucket, Key="y",
             CopySource={"Bucket": bucket, "Key": "no-such-source"})


def test_delete_objects_and_delete_object(s3, bucket):
    keys = [f"del/{i}" for i in range(6)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"d")
    verbose = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": k} for k in keys[:3]] + [{"Key": "del/missing"}]})
    assert sorted(d["Key"] for d in verbose["Deleted"]) == sorted(keys[:3] + ["del/missing"])
    assert not verbose.get("Errors")
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[3:5]], "Quiet": True})
    assert not quiet.get("Deleted") and not quiet.get("Errors")
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [keys[5]]
    assert s3.delete_object(Bucket=bucket, Key=keys[5])["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="never-existed")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3_error("404", 404, s3.head_object, Bucket=bucket, Key=keys[5])


# --------------------------------------------------------------------------
# Multipart
# --------------------------------------------------------------------------


def test_multipart_api_and_errors(s3, bucket):
    key = "mp/object"
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-test",
                                    Metadata={"mp": "yes"})["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [(key, up)]
    part1, part2 = os.urandom(5 * MiB), os.urandom(1 * MiB + 17)
    e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=2, Body=part2)["ETag"]
    assert (e1, e2) == (md5_etag(part1), md5_etag(part2))
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, e1, len(part1)), (2, e2, len(part2))]

    s3_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=up,
             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": md5_etag(b"z")}]})
    s3_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=up,
             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e2}]})
    s3_error("InvalidPartOrder", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=up,
             MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert done["ETag"] == multipart_etag([part1, part2])
    got = s3.get_object(Bucket=bucket, Key=key)
    assert sha256(got["Body"].read()) == sha256(part1 + part2)
    assert got["ContentType"] == "application/x-test" and got["Metadata"] == {"mp": "yes"}
    assert s3.head_object(Bucket=bucket, Key=key, PartNumber=1)["PartsCount"] == 2
    s3_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key=key, UploadId=up)

    # Non-last part under 5 MiB.
    small = s3.create_multipart_upload(Bucket=bucket, Key="mp/small")["UploadId"]
    s1 = s3.upload_part(Bucket=bucket, Key="mp/small", UploadId=small, PartNumber=1, Body=b"a" * MiB)["ETag"]
    s2 = s3.upload_part(Bucket=bucket, Key="mp/small", UploadId=small, PartNumber=2, Body=b"b" * 1024)["ETag"]
    s3_error("EntityTooSmall", 400, s3.complete_multipart_upload, Bucket=bucket, Key="mp/small", UploadId=small,
             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": s1}, {"PartNumber": 2, "ETag": s2}]})
    # A single small part is fine (it is the last part).
    ok = s3.complete_multipart_upload(Bucket=bucket, Key="mp/small", UploadId=small,
                                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": s1}]})
    assert ok["ETag"] == multipart_etag([b"a" * MiB])

    aborted = s3.create_multipart_upload(Bucket=bucket, Key="mp/aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp/aborted", UploadId=aborted, PartNumber=1, Body=b"x")
    assert s3.abort_multipart_upload(Bucket=bucket, Key="mp/aborted",
                                     UploadId=aborted)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3_error("NoSuchUpload", 404, s3.list_parts, Bucket=bucket, Key="mp/aborted", UploadId=aborted)
    s3_error("NoSuchUpload", 404, s3.upload_part, Bucket=bucket, Key="mp/aborted", UploadId=aborted,
             PartNumber=2, Body=b"y")
    s3_error("NoSuchUpload", 404, s3.complete_multipart_upload, Bucket=bucket, Key="mp/aborted",
             UploadId=aborted, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(b"x")}]})
    s3_error("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=bucket, Key="mp/aborted", UploadId=aborted)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="mp/aborted")


# --------------------------------------------------------------------------
# Presigned URLs and anonymous access
# --------------------------------------------------------------------------


def test_presigned_get(s3, aws_cli, bucket):
    s3.put_object(Bucket=bucket, Key="pre/signed file.txt", Body=b"presigned body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/signed file.txt"},
                                    ExpiresIn=300)
    assert http_get(url) == (200, b"presigned body")
    sig_at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    flipped = "0" if url[sig_at] != "0" else "1"
    tampered = url[:sig_at] + flipped + url[sig_at + 1:]
    status, body = http_get(tampered)
    assert (status, error_code_of(body)) == (403, "SignatureDoesNotMatch"), body
    # Signed for another key.
    status, body = http_get(url.replace("signed%20file.txt", "signed%20file2.txt"))
    assert (status, error_code_of(body)) == (403, "SignatureDoesNotMatch"), body
    cli_url = aws_cli("s3", "presign", f"s3://{bucket}/pre/signed file.txt", "--expires-in", "120", output="text")
    assert http_get(cli_url) == (200, b"presigned body")


def test_presigned_url_expires_on_server_clock(fresh_server, clocks):  # noqa: F811
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--quotas", "false"])
    client = make_s3(srv)
    client.create_bucket(Bucket="expiry")
    client.put_object(Bucket="expiry", Key="k", Body=b"still valid")
    url = client.generate_presigned_url("get_object", Params={"Bucket": "expiry", "Key": "k"}, ExpiresIn=60)
    assert http_get(url) == (200, b"still valid")
    clocks(30)
    assert http_get(url) == (200, b"still valid")
    clocks(120)
    status, body = http_get(url)
    assert (status, error_code_of(body)) == (403, "AccessDenied"), body


def test_anonymous_requests_are_denied(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="anon", Body=b"private")
    status, body = http_get(f"{server.endpoint}/{bucket}/anon")
    assert status == 403
    doc = strip_ns(ET.fromstring(body))
    assert doc.findtext("Code") == "AccessDenied"
    assert doc.findtext("RequestId")
    r = raw_request(server, "PUT", f"/{bucket}/anon", body=b"overwrite", signer=None)
    assert r.status == 403 and r.error_code() == "AccessDenied", r.body
    assert r.headers.get("x-amz-request-id") == r.xml().findtext("RequestId")
    listing = raw_request(server, "GET", f"/{bucket}", "list-type=2", signer=None)
    assert listing.status == 403 and listing.error_code() == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="anon")["Body"].read() == b"private"


def test_error_document_shape(server, bucket):
    r = raw_request(server, "GET", f"/{bucket}/no-such-key")
    assert r.status == 404
    assert r.headers.get("content-type", "").startswith("application/xml")
    doc = r.xml()
    assert doc.tag == "Error"
    assert doc.findtext("Code") == "NoSuchKey"
    assert doc.findtext("Message")
    assert doc.findtext("RequestId") == r.headers["x-amz-request-id"]
    head = raw_request(server, "HEAD", f"/{bucket}/no-such-key")
    assert head.status == 404 and head.body == b""


# --------------------------------------------------------------------------
# Audit trail
# --------------------------------------------------------------------------


def test_audit_trail_records_s3_requests(server, s3, bucket):
    """Bucket operations are management events (LookupEvents shows them);
    object operations are data events: in the trail, not in LookupEvents."""
    s3.put_object(Bucket=bucket, Key="audited", Body=b"a")
    ct = make_cloudtrail(server)

    def created():
        events = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "EventName",
                                                          "AttributeValue": "CreateBucket"}])
        return [e for e in events if e.get("eventSource") == "s3.amazonaws.com"
                and (e.get("requestParameters") or {}).get("bucketName") == bucket]

    e = wait_for(created, 30, "the CreateBucket management event")[0]
    assert e["userIdentity"]["accountId"] == server.creds.account_id
    assert e["awsRegion"] == REGION and e["eventCategory"] == "Management"
    puts = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "EventName",
                                                    "AttributeValue": "PutObject"}])
    assert not [x for x in puts if x.get("eventSource") == "s3.amazonaws.com"], \
        "LookupEvents must not show S3 data events"

    trail = server.data_dir / "audit" / "events.jsonl"

    def data_event():
        for line in trail.read_text().splitlines():
            if '"eventName":"PutObject"' in line and '"key":"audited"' in line:
                return json.loads(line)
        return None

    record = wait_for(data_event, 30, "the PutObject data event in the trail")
    event = record.get("event", record)
    assert event["eventCategory"] == "Data" and event["managementEvent"] is False
    assert {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/audited"} in event["resources"]
    assert "Body" not in json.dumps(event)


# --------------------------------------------------------------------------
# Third-party clients
# --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("s3cmd") is None, reason="s3cmd not installed")
def test_s3cmd_round_trip(server, s3, tmp_path):
    cfg = tmp_path / "s3cfg"
    hostport = f"127.0.0.1:{server.port}"
    cfg.write_text("[default]\n"
                   f"access_key = {server.creds.access_key_id}\n"
                   f"secret_key = {server.creds.secret_access_key}\n"
                   f"host_base = {hostport}\nhost_bucket = {hostport}\n"
                   "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
                   "check_ssl_certificate = False\n")
    name = "it-s3cmd-" + uuid.uuid4().hex[:10]
    data = os.urandom(300 * 1024)
    src = tmp_path / "in.bin"
    src.write_bytes(data)

    def run(*args):
        out = subprocess.run(["s3cmd", "-c", str(cfg), "--no-ssl", "--host", hostport,
                              "--host-bucket", hostport, *args],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
        assert out.returncode == 0, f"s3cmd {args}: {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out.stdout

    run("mb", f"s3://{name}")
    run("put", str(src), f"s3://{name}/dir/in.bin")
    assert f"s3://{name}/dir/in.bin" in run("ls", "-r", f"s3://{name}")
    dst = tmp_path / "out.bin"
    run("get", f"s3://{name}/dir/in.bin", str(dst))
    assert sha256(dst.read_bytes()) == sha256(data)
    assert s3.get_object(Bucket=name, Key="dir/in.bin")["Body"].read() == data


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone not installed")
def test_rclone_round_trip(server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    files = {"one.txt": b"rclone one\n", "nested/two.bin": os.urandom(70 * 1024)}
    for rel, content in files.items():
        (src / rel).write_bytes(content)
    (tmp_path / "rclone.conf").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_"))}
    env.update({
        "RCLONE_CONFIG": str(tmp_path / "rclone.conf"),
        "RCLONE_CONFIG_COFFER_TYPE": "s3",
        "RCLONE_CONFIG_COFFER_PROVIDER": "Other",
        "RCLONE_CONFIG_COFFER_ENV_AUTH": "false",
        "RCLONE_CONFIG_COFFER_ACCESS_KEY_ID": server.creds.access_key_id,
        "RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY": server.creds.secret_access_key,
        "RCLONE_CONFIG_COFFER_ENDPOINT": server.endpoint,
        "RCLONE_CONFIG_COFFER_REGION": REGION,
        "RCLONE_CONFIG_COFFER_FORCE_PATH_STYLE": "true",
        "HOME": str(tmp_path),
    })

    def run(*args):
        out = subprocess.run(["rclone", "--retries", "1", "--low-level-retries", "1", *args],
                             capture_output=True, text=True, timeout=120, env=env)
        assert out.returncode == 0, f"rclone {args}: {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out.stdout

    run("copy", str(src), f"coffer:{bucket}/rc")
    for rel, content in files.items():
        assert s3.get_object(Bucket=bucket, Key="rc/" + rel)["Body"].read() == content
    assert sorted(run("lsf", "-R", "--files-only", f"coffer:{bucket}/rc").split()) == sorted(files)
    dst = tmp_path / "dst"
    run("copy", f"coffer:{bucket}/rc", str(dst))
    for rel, content in files.items():
        assert (dst / rel).read_bytes() == content
    run("check", str(src), f"coffer:{bucket}/rc")
