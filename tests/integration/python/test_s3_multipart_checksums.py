"""Flexible checksums of multipart uploads (COMPOSITE and FULL_OBJECT), driven
with boto3 against the real binary.

Every expected checksum is computed here from the bytes (zlib.crc32, table
CRC-32C and CRC-64/NVME, hashlib), never copied from the server. This
botocore predates x-amz-checksum-type and CRC64NVME, so those go in as raw
headers through a before-sign hook, and the XML members it does not model
are read from the raw body.
"""

import base64
import functools
import hashlib
import uuid
import xml.etree.ElementTree as ET
import zlib

import pytest
from boto3.s3.transfer import TransferConfig

from test_s3 import make_s3, s3_error

MiB = 1024 * 1024
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _table_entry(byte, poly):
    """One entry of a reflected CRC's byte table: `byte` shifted through 8 steps."""
    for _ in range(8):
        byte = (byte >> 1) ^ (poly if byte & 1 else 0)
    return byte


_CRC32C_TABLE = [_table_entry(i, 0x82F63B78) for i in range(256)]
_CRC64_TABLE = [_table_entry(i, 0x9A6C9329AC4BC9B5) for i in range(256)]


def reflected_crc(data, table, ones):
    c = ones
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ ones


@functools.lru_cache(maxsize=64)
def digest(alg, data):
    """Big-endian digest bytes of `data`."""
    if alg == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if alg == "CRC32C":
        return reflected_crc(data, _CRC32C_TABLE, 0xFFFFFFFF).to_bytes(4, "big")
    if alg == "CRC64NVME":
        return reflected_crc(data, _CRC64_TABLE, 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
    return hashlib.new(alg.lower(), data).digest()


def test_the_crcs_here_have_the_catalogued_check_values():
    assert digest("CRC32C", b"123456789").hex() == "e3069283"
    assert digest("CRC64NVME", b"123456789").hex() == "ae8b14860a799888"


def b64(raw):
    return base64.b64encode(raw).decode()


def composite(alg, parts):
    return b64(digest(alg, b"".join(digest(alg, p) for p in parts))) + f"-{len(parts)}"


@pytest.fixture(scope="module")
def s3(server):
    return make_s3(server)


@pytest.fixture
def bucket(s3):
    name = f"mpck-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def bodies():
    # Two parts: the minimum size, then a short last part.
    return [bytes(range(256)) * (5 * MiB // 256), b"tail of the object " * 50]


def with_headers(s3, op, headers):
    """Adds raw headers to every `op` request this client sends."""
    def hook(request, **_):
        for k, v in headers.items():
            request.headers[k] = v
    s3.meta.events.register(f"before-sign.s3.{op}", hook)
    return hook


def without(s3, op, hook):
    s3.meta.events.unregister(f"before-sign.s3.{op}", hook)


def create(s3, bucket, key, alg=None, ctype=None):
    headers = {}
    if alg:
        headers["x-amz-checksum-algorithm"] = alg
    if ctype:
        headers["x-amz-checksum-type"] = ctype
    hook = with_headers(s3, "CreateMultipartUpload", headers)
    try:
        r = s3.create_multipart_upload(Bucket=bucket, Key=key)
    finally:
        without(s3, "CreateMultipartUpload", hook)
    return r


def upload_part(s3, bucket, key, upload_id, n, body, headers=None):
    hook = with_headers(s3, "UploadPart", headers or {})
    try:
        return s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=body)
    finally:
        without(s3, "UploadPart", hook)


def complete(s3, bucket, key, upload_id, parts, headers=None):
    hook = with_headers(s3, "CompleteMultipartUpload", headers or {})
    try:
        return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                            MultipartUpload={"Parts": parts})
    finally:
        without(s3, "CompleteMultipartUpload", hook)


def raw_xml(s3, op, **kwargs):
    """Calls `op` and returns its raw XML body parsed."""
    captured = {}

    def keep(http_response, **_):
        captured["body"] = http_response.content
    s3.meta.events.register(f"after-call.s3.{op}", keep)
    try:
        getattr(s3, op_to_method(op))(**kwargs)
    finally:
        s3.meta.events.unregister(f"after-call.s3.{op}", keep)
    return ET.fromstring(captured["body"])


def op_to_method(op):
    return "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")


def headers_of(response):
    return response["ResponseMetadata"]["HTTPHeaders"]


def test_composite_crc32_end_to_end(s3, bucket, bodies):
    r = create(s3, bucket, "comp", alg="CRC32")
    assert headers_of(r)["x-amz-checksum-algorithm"] == "CRC32"
    assert headers_of(r)["x-amz-checksum-type"] == "COMPOSITE"
    uid = r["UploadId"]
    parts = []
    for n, body in enumerate(bodies, 1):
        p = s3.upload_part(Bucket=bucket, Key="comp", UploadId=uid, PartNumber=n, Body=body,
                           ChecksumAlgorithm="CRC32")
        assert p["ChecksumCRC32"] == b64(digest("CRC32", body))
        parts.append({"PartNumber": n, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]})
    listed = raw_xml(s3, "ListParts", Bucket=bucket, Key="comp", UploadId=uid)
    assert [e.text for e in listed.iter(NS + "ChecksumCRC32")] == [b64(digest("CRC32", b)) for b in bodies]
    assert listed.find(NS + "ChecksumAlgorithm").text == "CRC32"
    assert listed.find(NS + "ChecksumType").text == "COMPOSITE"
    done = complete(s3, bucket, "comp", uid, parts)
    expected = composite("CRC32", bodies)
    assert done["ChecksumCRC32"] == expected
    head = s3.head_object(Bucket=bucket, Key="comp", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == expected
    assert headers_of(head)["x-amz-checksum-type"] == "COMPOSITE"
    part2 = s3.get_object(Bucket=bucket, Key="comp", PartNumber=2, ChecksumMode="ENABLED")
    assert headers_of(part2)["x-amz-checksum-crc32"] == b64(digest("CRC32", bodies[1]))
    assert part2["Body"].read() == bodies[1]
    attrs = s3.get_object_attributes(Bucket=bucket, Key="comp", ObjectAttributes=["Checksum", "ObjectParts"])
    assert attrs["Checksum"]["ChecksumCRC32"] == expected
    assert attrs["ObjectParts"]["TotalPartsCount"] == 2
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in attrs["ObjectParts"]["Parts"]] == \
        [(n, len(b), b64(digest("CRC32", b))) for n, b in enumerate(bodies, 1)]


@pytest.mark.parametrize("alg", ["CRC32", "CRC32C"])
def test_full_object_crc_is_the_crc_of_the_whole_body(s3, bucket, bodies, alg):
    r = create(s3, bucket, "full", alg=alg, ctype="FULL_OBJECT")
    assert headers_of(r)["x-amz-checksum-type"] == "FULL_OBJECT"
    uid = r["UploadId"]
    member = "Checksum" + alg
    parts = []
    for n, body in enumerate(bodies, 1):
        value = b64(digest(alg, body))
        p = upload_part(s3, bucket, "full", uid, n, body, {"x-amz-checksum-" + alg.lower(): value})
        parts.append({"PartNumber": n, "ETag": p["ETag"], member: value})
    whole = b64(digest(alg, b"".join(bodies)))
    wrong = b64(digest(alg, b"something else"))
    s3_error("BadDigest", 400, complete, s3, bucket, "full", uid, parts, {"x-amz-checksum-" + alg.lower(): wrong})
    done = complete(s3, bucket, "full", uid, parts,
                    {"x-amz-checksum-" + alg.lower(): whole, "x-amz-checksum-type": "FULL_OBJECT"})
    assert done[member] == whole
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert head[member] == whole
    assert headers_of(head)["x-amz-checksum-type"] == "FULL_OBJECT"
    attrs = raw_xml(s3, "GetObjectAttributes", Bucket=bucket, Key="full", ObjectAttributes=["Checksum"])
    assert attrs.find(f"{NS}Checksum/{NS}{member}").text == whole
    assert attrs.find(f"{NS}Checksum/{NS}ChecksumType").text == "FULL_OBJECT"


def test_type_and_algorithm_names_in_any_case(s3, bucket):
    r = create(s3, bucket, "lower", alg="crc32c", ctype="full_object")
    assert headers_of(r)["x-amz-checksum-algorithm"] == "CRC32C"
    assert headers_of(r)["x-amz-checksum-type"] == "FULL_OBJECT"


def test_upload_part_copy_sums_the_copied_bytes(s3, bucket, bodies):
    s3.put_object(Bucket=bucket, Key="src", Body=bodies[0])
    uid = create(s3, bucket, "copied", alg="CRC32C")["UploadId"]
    copied = s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=uid, PartNumber=1,
                                 CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyPartResult"]["ChecksumCRC32C"] == b64(digest("CRC32C", bodies[0]))
    tail = upload_part(s3, bucket, "copied", uid, 2, bodies[1])
    done = complete(s3, bucket, "copied", uid, [
        {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"], "ChecksumCRC32C": b64(digest("CRC32C", bodies[0]))},
        {"PartNumber": 2, "ETag": tail["ETag"], "ChecksumCRC32C": b64(digest("CRC32C", bodies[1]))}])
    assert done["ChecksumCRC32C"] == composite("CRC32C", bodies)


def test_crc64nvme_defaults_to_full_object_and_sums_parts_sent_without_checksums(s3, bucket, bodies):
    r = create(s3, bucket, "nvme", alg="CRC64NVME")
    assert headers_of(r)["x-amz-checksum-type"] == "FULL_OBJECT"
    uid = r["UploadId"]
    parts = [{"PartNumber": n, "ETag": upload_part(s3, bucket, "nvme", uid, n, b)["ETag"]}
             for n, b in enumerate(bodies, 1)]
    listed = raw_xml(s3, "ListParts", Bucket=bucket, Key="nvme", UploadId=uid)
    assert [e.text for e in listed.iter(NS + "ChecksumCRC64NVME")] == [b64(digest("CRC64NVME", b)) for b in bodies]
    complete(s3, bucket, "nvme", uid, parts)
    head = s3.head_object(Bucket=bucket, Key="nvme", ChecksumMode="ENABLED")
    assert headers_of(head)["x-amz-checksum-crc64nvme"] == b64(digest("CRC64NVME", b"".join(bodies)))


def test_composite_sha256(s3, bucket, bodies):
    uid = create(s3, bucket, "sha", alg="SHA256")["UploadId"]
    parts = []
    for n, body in enumerate(bodies, 1):
        p = s3.upload_part(Bucket=bucket, Key="sha", UploadId=uid, PartNumber=n, Body=body,
                           ChecksumAlgorithm="SHA256")
        parts.append({"PartNumber": n, "ETag": p["ETag"], "ChecksumSHA256": p["ChecksumSHA256"]})
    assert complete(s3, bucket, "sha", uid, parts)["ChecksumSHA256"] == composite("SHA256", bodies)


@pytest.mark.parametrize("alg,ctype", [("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"),
                                       ("CRC64NVME", "COMPOSITE"), (None, "COMPOSITE"),
                                       ("CRC32", "WHOLE"), ("MD5", None)])
def test_create_rejects_algorithm_and_type_that_do_not_go_together(s3, bucket, alg, ctype):
    s3_error("InvalidRequest", 400, create, s3, bucket, "bad", alg=alg, ctype=ctype)


def test_upload_part_checks(s3, bucket, bodies):
    uid = create(s3, bucket, "p", alg="CRC32")["UploadId"]
    wrong = b64(digest("CRC32", b"not the body"))
    s3_error("BadDigest", 400, upload_part, s3, bucket, "p", uid, 1, bodies[1], {"x-amz-checksum-crc32": wrong})
    other = b64(digest("CRC32C", bodies[1]))
    s3_error("InvalidRequest", 400, upload_part, s3, bucket, "p", uid, 1, bodies[1], {"x-amz-checksum-crc32c": other})


def test_complete_checks_part_checksums_and_type(s3, bucket, bodies):
    uid = create(s3, bucket, "c", alg="CRC32")["UploadId"]
    etags = [upload_part(s3, bucket, "c", uid, n, b)["ETag"] for n, b in enumerate(bodies, 1)]
    right = [b64(digest("CRC32", b)) for b in bodies]
    bad = [{"PartNumber": 1, "ETag": etags[0], "ChecksumCRC32": right[0]},
           {"PartNumber": 2, "ETag": etags[1], "ChecksumCRC32": right[0]}]
    s3_error("InvalidPart", 400, complete, s3, bucket, "c", uid, bad)
    missing = [{"PartNumber": 1, "ETag": etags[0], "ChecksumCRC32": right[0]}, {"PartNumber": 2, "ETag": etags[1]}]
    s3_error("InvalidRequest", 400, complete, s3, bucket, "c", uid, missing)
    good = [{"PartNumber": n, "ETag": e, "ChecksumCRC32": c} for n, (e, c) in enumerate(zip(etags, right), 1)]
    s3_error("BadDigest", 400, complete, s3, bucket, "c", uid, good, {"x-amz-checksum-type": "FULL_OBJECT"})
    s3_error("BadDigest", 400, complete, s3, bucket, "c", uid, good,
             {"x-amz-checksum-crc32": b64(digest("CRC32", b"x"))})
    done = complete(s3, bucket, "c", uid, good, {"x-amz-checksum-crc32": composite("CRC32", bodies)})
    assert done["ChecksumCRC32"] == composite("CRC32", bodies)


def test_boto3_upload_file_multipart_transfer(s3, bucket, tmp_path):
    data = bytes((i * 7) & 0xFF for i in range(12 * MiB + 5))
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    s3.upload_file(str(path), bucket, "xfer", Config=cfg, ExtraArgs={"ChecksumAlgorithm": "CRC32"})
    chunks = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    head = s3.head_object(Bucket=bucket, Key="xfer", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == composite("CRC32", chunks)
    assert s3.get_object(Bucket=bucket, Key="xfer")["Body"].read() == data
