"""S3's default data integrity protection, the declared size of a multipart
object, and the paging of GetObjectAttributes' ObjectParts, driven with boto3
against the real binary.

An object sent without any checksum gets a CRC64NVME (FULL_OBJECT) that the
server sums as the body streams; a multipart upload created without an
algorithm gets the CRC64NVME of the whole object, combined from its parts'.
Every expected value is computed here from the bytes with the independent
CRC-64/NVME of test_s3_multipart_checksums.py. This botocore models neither
CRC64NVME nor x-amz-mp-object-size: those are read from the raw XML body or
response headers and sent as raw headers.
"""

import base64
import hashlib
import os
import uuid

import pytest

from test_s3 import make_s3, s3_error
from test_s3_multipart_checksums import (  # noqa: F401  (s3 and bucket are fixtures)
    MiB, NS, b64, bucket, complete, composite, create, digest, headers_of, raw_xml, s3, upload_part, with_headers,
    without)


@pytest.fixture(scope="module")
def bodies():
    # Three parts: two of the minimum size, then a short last part.
    return [bytes(range(256)) * (5 * MiB // 256), bytes(range(255, -1, -1)) * (5 * MiB // 256),
            b"the last part " * 40]


def nvme(data):
    return b64(digest("CRC64NVME", data))


def call_with_headers(s3, op, headers, fn, *args, **kwargs):
    hook = with_headers(s3, op, headers)
    try:
        return fn(*args, **kwargs)
    finally:
        without(s3, op, hook)


# ---------------------------------------------------------------------------
# PutObject, HeadObject, GetObject, GetObjectAttributes

def test_put_without_checksum_gets_crc64nvme(s3, bucket):
    data = b"no checksum was sent with this body " * 100
    put = s3.put_object(Bucket=bucket, Key="plain", Body=data)
    assert headers_of(put)["x-amz-checksum-crc64nvme"] == nvme(data)
    assert headers_of(put)["x-amz-checksum-type"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == nvme(data)
    assert headers_of(head)["x-amz-checksum-type"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert headers_of(got)["x-amz-checksum-crc64nvme"] == nvme(data)
    assert got["Body"].read() == data
    # Without checksum mode nothing is returned, as before.
    assert "x-amz-checksum-crc64nvme" not in headers_of(s3.head_object(Bucket=bucket, Key="plain"))
    attrs = raw_xml(s3, "GetObjectAttributes", Bucket=bucket, Key="plain", ObjectAttributes=["Checksum"])
    assert attrs.find(f"{NS}Checksum/{NS}ChecksumCRC64NVME").text == nvme(data)
    assert attrs.find(f"{NS}Checksum/{NS}ChecksumType").text == "FULL_OBJECT"


def test_empty_body_and_content_md5_alone_get_the_default_too(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    head = s3.head_object(Bucket=bucket, Key="empty", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == nvme(b"") == "AAAAAAAAAAA="
    data = b"only a content-md5"
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=md5)
    head = s3.head_object(Bucket=bucket, Key="md5", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == nvme(data)


def test_a_checksum_the_client_chose_is_kept_and_no_default_added(s3, bucket):
    data = b"crc32 chosen by the client " * 10
    put = s3.put_object(Bucket=bucket, Key="crc32", Body=data, ChecksumAlgorithm="CRC32")
    assert "x-amz-checksum-crc64nvme" not in headers_of(put)
    head = s3.head_object(Bucket=bucket, Key="crc32", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == b64(digest("CRC32", data))
    assert "x-amz-checksum-crc64nvme" not in headers_of(head)


# ---------------------------------------------------------------------------
# CopyObject

def test_copy_keeps_a_whole_object_checksum_and_defaults_otherwise(s3, bucket, bodies):
    data = b"copy me " * 1000
    s3.put_object(Bucket=bucket, Key="src", Body=data)
    copied = raw_xml(s3, "CopyObject", Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied.find(NS + "ChecksumCRC64NVME").text == nvme(data)
    assert copied.find(NS + "ChecksumType").text == "FULL_OBJECT"
    s3.put_object(Bucket=bucket, Key="sha-src", Body=data, ChecksumAlgorithm="SHA256")
    copied = s3.copy_object(Bucket=bucket, Key="sha-dst", CopySource={"Bucket": bucket, "Key": "sha-src"})
    assert copied["CopyObjectResult"]["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())
    # A COMPOSITE source: the copy is one part and gets the default.
    uid = create(s3, bucket, "comp", alg="CRC32")["UploadId"]
    parts = []
    for n, body in enumerate(bodies[1:], 1):
        p = s3.upload_part(Bucket=bucket, Key="comp", UploadId=uid, PartNumber=n, Body=body,
                           ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": n, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]})
    assert complete(s3, bucket, "comp", uid, parts)["ChecksumCRC32"] == composite("CRC32", bodies[1:])
    s3.copy_object(Bucket=bucket, Key="comp-copy", CopySource={"Bucket": bucket, "Key": "comp"})
    head = s3.head_object(Bucket=bucket, Key="comp-copy", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == nvme(b"".join(bodies[1:]))
    assert headers_of(head)["x-amz-checksum-type"] == "FULL_OBJECT"


def test_copy_with_a_checksum_algorithm_sums_the_copy_with_it(s3, bucket):
    data = b"recompute on copy " * 300
    s3.put_object(Bucket=bucket, Key="src", Body=data)
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                            ChecksumAlgorithm="CRC32C")
    assert copied["CopyObjectResult"]["ChecksumCRC32C"] == b64(digest("CRC32C", data))
    head = s3.head_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32C"] == b64(digest("CRC32C", data))
    assert "x-amz-checksum-crc64nvme" not in headers_of(head)


def test_copy_rejects_an_unknown_checksum_algorithm(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    s3_error("InvalidRequest", 400, s3.copy_object, Bucket=bucket, Key="dst",
             CopySource={"Bucket": bucket, "Key": "src"}, ChecksumAlgorithm="MD5")


# ---------------------------------------------------------------------------
# Multipart uploads created without a checksum algorithm

def test_multipart_without_algorithm_gets_the_full_object_crc64nvme(s3, bucket, bodies):
    r = create(s3, bucket, "mp", alg=None)
    assert "x-amz-checksum-algorithm" not in headers_of(r)
    uid = r["UploadId"]
    parts = []
    for n, body in enumerate(bodies, 1):
        p = upload_part(s3, bucket, "mp", uid, n, body)
        assert headers_of(p)["x-amz-checksum-crc64nvme"] == nvme(body)
        parts.append({"PartNumber": n, "ETag": p["ETag"]})
    listed = raw_xml(s3, "ListParts", Bucket=bucket, Key="mp", UploadId=uid)
    assert listed.find(NS + "ChecksumAlgorithm") is None
    assert list(listed.iter(NS + "ChecksumCRC64NVME")) == []
    whole = nvme(b"".join(bodies))
    s3_error("BadDigest", 400, complete, s3, bucket, "mp", uid, parts,
             {"x-amz-checksum-crc64nvme": nvme(b"another object")})
    done = raw_xml(s3, "CompleteMultipartUpload", Bucket=bucket, Key="mp", UploadId=uid,
                   MultipartUpload={"Parts": parts})
    assert done.find(NS + "ChecksumCRC64NVME").text == whole
    assert done.find(NS + "ChecksumType").text == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == whole
    assert headers_of(head)["x-amz-checksum-type"] == "FULL_OBJECT"
    attrs = raw_xml(s3, "GetObjectAttributes", Bucket=bucket, Key="mp", ObjectAttributes=["Checksum", "ObjectParts"])
    assert attrs.find(f"{NS}Checksum/{NS}ChecksumCRC64NVME").text == whole
    assert [p.find(NS + "ChecksumCRC64NVME").text for p in attrs.iter(NS + "Part")] == [nvme(b) for b in bodies]
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(bodies)


def test_parts_sent_with_another_algorithm_still_make_the_default(s3, bucket, bodies):
    uid = create(s3, bucket, "mixed", alg=None)["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key="mixed", UploadId=uid, PartNumber=1, Body=bodies[0],
                           ChecksumAlgorithm="CRC32")
    assert first["ChecksumCRC32"] == b64(digest("CRC32", bodies[0]))
    assert "x-amz-checksum-crc64nvme" not in headers_of(first)
    s3.put_object(Bucket=bucket, Key="src", Body=bodies[2])
    copied = raw_xml(s3, "UploadPartCopy", Bucket=bucket, Key="mixed", UploadId=uid, PartNumber=2,
                     CopySource={"Bucket": bucket, "Key": "src"})
    assert copied.find(NS + "ChecksumCRC64NVME").text == nvme(bodies[2])
    listed = s3.list_parts(Bucket=bucket, Key="mixed", UploadId=uid)["Parts"]
    complete(s3, bucket, "mixed", uid, [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in listed])
    head = s3.head_object(Bucket=bucket, Key="mixed", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == nvme(bodies[0] + bodies[2])


def test_multipart_under_sse_c_gets_no_default(fresh_server):
    server = fresh_server(tls=True)
    s3 = make_s3(server)
    bucket = f"ssec-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    key = os.urandom(32)
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    uid = s3.create_multipart_upload(Bucket=bucket, Key="c", **sse)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="c", UploadId=uid, PartNumber=1, Body=b"one small part", **sse)
    assert "x-amz-checksum-crc64nvme" not in headers_of(part)
    done = raw_xml(s3, "CompleteMultipartUpload", Bucket=bucket, Key="c", UploadId=uid,
                   MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done.find(NS + "ChecksumCRC64NVME") is None
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED", **sse)
    assert "x-amz-checksum-crc64nvme" not in headers_of(head)
    # PutObject under SSE-C still gets it.
    s3.put_object(Bucket=bucket, Key="p", Body=b"single", **sse)
    head = s3.head_object(Bucket=bucket, Key="p", ChecksumMode="ENABLED", **sse)
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == nvme(b"single")


# ---------------------------------------------------------------------------
# x-amz-mp-object-size on CompleteMultipartUpload

@pytest.fixture
def two_part_upload(s3, bucket, bodies):
    uid = create(s3, bucket, "sized", alg=None)["UploadId"]
    parts = [{"PartNumber": n, "ETag": upload_part(s3, bucket, "sized", uid, n, b)["ETag"]}
             for n, b in enumerate([bodies[0], bodies[2]], 1)]
    return uid, parts, len(bodies[0]) + len(bodies[2])


@pytest.mark.parametrize("value,message", [
    ("wrong", "The provided 'x-amz-mp-object-size' header value {wrong} does not match what was computed: {size}"),
    ("-1", "Value for x-amz-mp-object-size header is less than zero: '-1'"),
    ("size", "Value for x-amz-mp-object-size header is invalid: 'size'"),
    ("", "Value for x-amz-mp-object-size header is invalid: ''"),
])
def test_declared_object_size_must_be_a_size_and_match(s3, bucket, two_part_upload, value, message):
    uid, parts, size = two_part_upload
    if value == "wrong":
        value = str(size + 1)
    r = s3_error("InvalidRequest", 400, complete, s3, bucket, "sized", uid, parts, {"x-amz-mp-object-size": value})
    assert r["Error"]["Message"] == message.format(wrong=size + 1, size=size)
    # The upload is still there to complete.
    assert len(s3.list_parts(Bucket=bucket, Key="sized", UploadId=uid)["Parts"]) == 2


def test_matching_declared_object_size_completes(s3, bucket, two_part_upload):
    uid, parts, size = two_part_upload
    complete(s3, bucket, "sized", uid, parts, {"x-amz-mp-object-size": str(size)})
    assert s3.head_object(Bucket=bucket, Key="sized")["ContentLength"] == size


# ---------------------------------------------------------------------------
# GetObjectAttributes ObjectParts paging

@pytest.fixture
def three_part_object(s3, bucket, bodies):
    uid = create(s3, bucket, "three", alg=None)["UploadId"]
    parts = [{"PartNumber": n, "ETag": upload_part(s3, bucket, "three", uid, n, b)["ETag"]}
             for n, b in enumerate(bodies, 1)]
    complete(s3, bucket, "three", uid, parts)
    return "three"


def object_parts(s3, bucket, key, **paging):
    attrs = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["ObjectParts"], **paging)
    return attrs["ObjectParts"]


def test_object_parts_default_page_lists_every_part(s3, bucket, bodies, three_part_object):
    page = object_parts(s3, bucket, three_part_object)
    assert page["TotalPartsCount"] == 3
    assert page["MaxParts"] == 1000
    assert page["PartNumberMarker"] == 0
    assert page["NextPartNumberMarker"] == 3
    assert page["IsTruncated"] is False
    assert [(p["PartNumber"], p["Size"]) for p in page["Parts"]] == [(n, len(b)) for n, b in enumerate(bodies, 1)]


def test_object_parts_pages_one_part_at_a_time(s3, bucket, bodies, three_part_object):
    seen = []
    marker = 0
    for expected_truncated in (True, True, False):
        page = object_parts(s3, bucket, three_part_object, MaxParts=1, PartNumberMarker=marker)
        assert page["TotalPartsCount"] == 3
        assert page["MaxParts"] == 1
        assert page["PartNumberMarker"] == marker
        assert page["IsTruncated"] is expected_truncated
        seen += [(p["PartNumber"], p["Size"]) for p in page["Parts"]]
        marker = page["NextPartNumberMarker"]
    assert seen == [(n, len(b)) for n, b in enumerate(bodies, 1)]
    last = raw_xml(s3, "GetObjectAttributes", Bucket=bucket, Key=three_part_object,
                   ObjectAttributes=["ObjectParts"], MaxParts=2, PartNumberMarker=1)
    assert [p.find(NS + "ChecksumCRC64NVME").text for p in last.iter(NS + "Part")] == [nvme(b) for b in bodies[1:]]
    past = object_parts(s3, bucket, three_part_object, PartNumberMarker=3)
    assert past.get("Parts", []) == []
    assert past["IsTruncated"] is False


@pytest.mark.parametrize("header", ["x-amz-max-parts", "x-amz-part-number-marker"])
@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_object_parts_paging_headers_must_be_non_negative_integers(s3, bucket, three_part_object, header, value):
    s3_error("InvalidArgument", 400, call_with_headers, s3, "GetObjectAttributes", {header: value},
             s3.get_object_attributes, Bucket=bucket, Key=three_part_object, ObjectAttributes=["ObjectParts"])


def test_object_parts_without_part_checksums_lists_only_the_count(fresh_server):
    # Under SSE-C a multipart object has no part checksums: S3 then answers
    # the count alone.
    server = fresh_server(tls=True)
    s3 = make_s3(server)
    bucket = f"ssec-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": os.urandom(32)}
    uid = s3.create_multipart_upload(Bucket=bucket, Key="c", **sse)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="c", UploadId=uid, PartNumber=1, Body=b"x", **sse)
    s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    page = object_parts(s3, bucket, "c")
    assert page == {"TotalPartsCount": 1}
