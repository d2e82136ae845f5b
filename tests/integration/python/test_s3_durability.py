"""S3 durability and integrity at rest.

kill -9: objects PUT under concurrent load (some multipart through boto3's
upload_file with a 5 MiB threshold) while the server is SIGKILLed once a count
of acknowledged writes is reached, as test_durability.py does for KMS. After a
restart on the same data directory every acknowledged object reads back
byte-identical, and <data>/s3/blobs holds exactly the blobs the remaining
records name (one per single-PUT object, one per part of a multipart object,
one per uploaded part of an upload still open): no orphan survives a restart.

Tampering: a byte flipped in a stored blob file makes GET fail with 500
InternalError and never return the altered bytes; a ranged GET of an
untouched 64 KiB segment of the same object still succeeds.
"""

import hashlib
import os
import struct
import threading
import uuid

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from test_s3 import MiB, make_s3, s3_error

WORKERS = 4
KILL_AFTER = [16, 16]  # acknowledged writes in each round before its SIGKILL
ROUND_TIMEOUT_S = 180
MULTIPART = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=3)
SEGMENT_OVERHEAD = 16  # AES-GCM tag after each segment (docs/blobs.md)


def blob_files(data_dir):
    """Committed blob files: <data>/s3/blobs/<2 hex>/<id> (tmp/ holds partial writes only)."""
    root = data_dir / "s3" / "blobs"
    return sorted(p for shard in root.glob("??") if shard.is_dir() for p in shard.iterdir() if p.is_file())


def parts_of_etag(etag):
    """Blobs an object is made of: '"<md5>-N"' after a multipart upload, else one."""
    etag = etag.strip('"')
    return int(etag.rsplit("-", 1)[1]) if "-" in etag else 1


def referenced_blob_count(s3, bucket):
    """Blobs the records of `bucket` name: object parts plus parts of uploads still open."""
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        count += sum(parts_of_etag(o["ETag"]) for o in page.get("Contents", []))
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        parts = s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        count += len(parts.get("Parts", []))
    return count


class Ledger:
    """What the server acknowledged, shared by the worker threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.objects = {}  # key -> (sha256 hex, size, expected parts)
        self.acks = 0
        self.errors = []

    def add(self, key, digest, size, parts):
        with self.lock:
            self.objects[key] = (digest, size, parts)
            self.acks += 1
            return self.acks

    def record_error(self, error):
        with self.lock:
            self.errors.append(repr(error))


def put_one(s3, bucket, key, data, tmp_dir):
    """A single PUT for small bodies, upload_file (multipart over 5 MiB) for large ones."""
    if len(data) < 5 * MiB:
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        return 1
    path = tmp_dir / (key.replace("/", "_") + ".bin")
    path.write_bytes(data)
    try:
        s3.upload_file(str(path), bucket, key, Config=MULTIPART)
    finally:
        path.unlink()
    return -(-len(data) // (5 * MiB))


def worker(server, bucket, ledger, target, reached, killing, index, round_index, tmp_dir):
    try:
        s3 = make_s3(server)
        n = 0
        while not killing.is_set():
            n += 1
            key = f"r{round_index}/w{index}/{n}"
            if n % 4 == 0:
                size = 5 * MiB + 1 + os.urandom(1)[0] * 4096  # two parts
            else:
                size = 1 + int.from_bytes(os.urandom(3), "big") % (300 * 1024)
            data = os.urandom(size)
            parts = put_one(s3, bucket, key, data, tmp_dir)
            if ledger.add(key, hashlib.sha256(data).hexdigest(), size, parts) >= target:
                reached.set()
    except Exception as e:  # noqa: BLE001 - after the kill every failure is expected
        if not killing.is_set():
            ledger.record_error(e)
    finally:
        if not killing.is_set():
            reached.set()  # a worker that stops early must not leave the main thread waiting


def run_round(server, bucket, ledger, target, round_index, tmp_dir):
    reached = threading.Event()
    killing = threading.Event()
    threads = [threading.Thread(target=worker, daemon=True,
                                args=(server, bucket, ledger, target, reached, killing, i, round_index, tmp_dir))
               for i in range(WORKERS)]
    for t in threads:
        t.start()
    assert reached.wait(ROUND_TIMEOUT_S), f"load never reached {target} acknowledgements"
    assert not ledger.errors, f"unexpected errors under load: {ledger.errors[:3]}"
    killing.set()
    server.kill9()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a worker hung after the server was killed"
    assert not ledger.errors, f"unexpected errors under load: {ledger.errors[:3]}"


def verify(server, bucket, ledger):
    s3 = make_s3(server)
    for key, (digest, size, parts) in sorted(ledger.objects.items()):
        got = s3.get_object(Bucket=bucket, Key=key)
        body = got["Body"].read()
        assert len(body) == size, key
        assert hashlib.sha256(body).hexdigest() == digest, f"{key} does not read back byte-identical"
        assert parts_of_etag(got["ETag"]) == parts, f"{key}: ETag {got['ETag']} for {parts} part(s)"
    files = blob_files(server.data_dir)
    expected = referenced_blob_count(s3, bucket)
    assert len(files) == expected, \
        f"{len(files)} blob files under s3/blobs, but the records name {expected}: orphans survived the restart"


def test_acknowledged_objects_survive_sigkill(fresh_server, tmp_path):
    data_dir = tmp_path / "durable"
    server = fresh_server(data_dir)
    s3 = make_s3(server)
    bucket = "it-durable-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    ledger = Ledger()
    # Before the load, sequentially: single PUTs and multipart uploads, all acknowledged.
    for n, size in enumerate([0, 1, 64 * 1024, 64 * 1024 + 1, 5 * MiB + 17, 11 * MiB]):
        data = os.urandom(size)
        parts = put_one(s3, bucket, f"pre/{n}", data, tmp_path)
        ledger.add(f"pre/{n}", hashlib.sha256(data).hexdigest(), size, parts)
    assert sum(1 for _, _, p in ledger.objects.values() if p > 1) == 2
    assert len(blob_files(data_dir)) == sum(p for _, _, p in ledger.objects.values())

    for round_index, kill_after in enumerate(KILL_AFTER):
        run_round(server, bucket, ledger, ledger.acks + kill_after, round_index, tmp_path)
        server.start()  # same data directory, new port
        verify(server, bucket, ledger)
    assert server.stop() == 0


def test_restart_removes_a_blob_no_record_names(fresh_server, tmp_path):
    """The state a crash between a blob's commit and its record's commit leaves: a
    committed blob file no record names. Made here by copying a blob file to an
    unused id in its shard layout; after a restart it must be gone."""
    data_dir = tmp_path / "orphan"
    server = fresh_server(data_dir)
    s3 = make_s3(server)
    bucket = "it-orphan-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(1000)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    server.kill9()
    [original] = blob_files(data_dir)
    orphan_id = uuid.uuid4().hex
    orphan = data_dir / "s3" / "blobs" / orphan_id[:2] / orphan_id
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(original.read_bytes())
    assert len(blob_files(data_dir)) == 2
    server.start()
    s3 = make_s3(server)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == data
    assert blob_files(data_dir) == [original], "the orphan blob survived the restart"


# --------------------------------------------------------------------------
# Tampering
# --------------------------------------------------------------------------


# Where the wrapped data key starts in a blob file of format 3 (docs/blobs.md):
# magic 4 | version 1 | layer 1 | segment_bytes 4 | key_version 4 | wrapped_len 2.
WRAPPED_KEY_OFFSET = 16


def segment_layout(blob_path):
    """(header length, segment bytes) of an SSE-S3 blob file: docs/blobs.md
    format v3 with layer 0 (no caller key), which is what the server writes."""
    head = blob_path.read_bytes()[:WRAPPED_KEY_OFFSET]
    assert head[:4] == b"CFBL" and head[4] == 3 and head[5] == 0, head
    (segment_bytes,) = struct.unpack(">I", head[6:10])
    (wrapped_len,) = struct.unpack(">H", head[14:16])
    return WRAPPED_KEY_OFFSET + wrapped_len + 8, segment_bytes


def flip_byte(path, offset):
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x5A
    path.write_bytes(bytes(raw))


def read_what_arrives(s3, **kwargs):
    """GET, returning (error code or None, the bytes that arrived before any failure)."""
    try:
        resp = s3.get_object(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], b""
    got = bytearray()
    try:
        for chunk in resp["Body"].iter_chunks(chunk_size=8192):
            got += chunk
    except Exception as e:  # noqa: BLE001 - a connection closed mid-body is the expected failure
        return type(e).__name__, 200, bytes(got)
    return None, 200, bytes(got)


def test_tampered_single_segment_blob_is_internal_error(fresh_server, tmp_path):
    server = fresh_server(tmp_path / "tamper1")
    s3 = make_s3(server)
    bucket = "it-tamper-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(3000)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    [blob] = blob_files(server.data_dir)  # the bucket's one object, one blob
    header_len, _ = segment_layout(blob)
    flip_byte(blob, header_len + len(data) // 2)

    for _ in range(2):  # and again: nothing was cached or repaired
        s3_error("InternalError", 500, s3.get_object, Bucket=bucket, Key="k")
        s3_error("InternalError", 500, s3.get_object, Bucket=bucket, Key="k", Range="bytes=0-9")
    assert server.crashed() is None
    # Other objects are unaffected.
    s3.put_object(Bucket=bucket, Key="fine", Body=b"fine")
    assert s3.get_object(Bucket=bucket, Key="fine")["Body"].read() == b"fine"


def test_tampered_segment_fails_only_reads_that_touch_it(fresh_server, tmp_path):
    server = fresh_server(tmp_path / "tamper2")
    s3 = make_s3(server)
    bucket = "it-tamper-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    segment = 64 * 1024
    data = os.urandom(5 * segment + 100)  # six segments, the last partial
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    [blob] = blob_files(server.data_dir)
    header_len, segment_bytes = segment_layout(blob)
    assert segment_bytes == segment
    assert blob.stat().st_size == header_len + 6 * SEGMENT_OVERHEAD + len(data)
    bad = 2  # tamper with segment 2, in the middle of its ciphertext
    flip_byte(blob, header_len + bad * (segment + SEGMENT_OVERHEAD) + segment // 2)

    # Ranges inside untouched segments still read, and read right.
    for first, last in [(0, segment - 1), (10, 20), (segment, 2 * segment - 1), (3 * segment + 5, 5 * segment + 99)]:
        got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={first}-{last}")
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["Body"].read() == data[first:last + 1], (first, last)

    # A range starting in the tampered segment: Open authenticates only the final
    # segment, so this fails either before the headers (500) or right after
    # them, with not one byte of body.
    code, status, got = read_what_arrives(s3, Bucket=bucket, Key="big",
                                          Range=f"bytes={bad * segment + 1}-{bad * segment + 100}")
    assert code is not None, "a range of the tampered segment was returned"
    if status != 200:
        assert (code, status) == ("InternalError", 500)
    assert got == b"", f"{len(got)} bytes of the tampered segment arrived"

    # The whole object: the first segments may already be on the wire, then the
    # body stops; whatever arrived is a true prefix, never altered bytes.
    code, status, got = read_what_arrives(s3, Bucket=bucket, Key="big")
    assert code is not None, "the whole tampered object was returned"
    if status != 200:
        assert (code, status) == ("InternalError", 500)
    assert len(got) <= bad * segment and got == data[:len(got)], \
        f"{len(got)} bytes arrived and they are not the untouched prefix"

    # A range crossing into the tampered segment: same rule.
    code, status, got = read_what_arrives(s3, Bucket=bucket, Key="big",
                                          Range=f"bytes={segment}-{3 * segment}")
    assert code is not None
    if status != 200:
        assert (code, status) == ("InternalError", 500)
    assert len(got) <= segment and got == data[segment:segment + len(got)]
    assert server.crashed() is None


@pytest.mark.parametrize("where", ["header", "last-segment-tag"])
def test_tampered_header_or_final_segment_fails_every_read(fresh_server, tmp_path, where):
    """Open authenticates the wrapped key and the final segment, so damage there
    fails even a range far from it."""
    server = fresh_server(tmp_path / ("tamper-" + where))
    s3 = make_s3(server)
    bucket = "it-tamper-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(3 * 64 * 1024 + 10)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    [blob] = blob_files(server.data_dir)
    segment_layout(blob)
    flip_byte(blob, WRAPPED_KEY_OFFSET + 3 if where == "header" else blob.stat().st_size - 1)
    s3_error("InternalError", 500, s3.get_object, Bucket=bucket, Key="k", Range="bytes=0-99")
    s3_error("InternalError", 500, s3.get_object, Bucket=bucket, Key="k")
