"""The S3 service key (docs/security.md, "Key hierarchy"): object data keys are
wrapped under a version of the S3 service key, itself wrapped under the root
key, and the blob header names the version (docs/blobs.md, format 3).

A new version comes from `coffer admin rotate-s3-service-key` (at once, the
server running) or from the sweeper once the current version is
--s3-service-key-rotation-days old on the server's --test-clock; objects
written before keep their version and read back, after a restart too, and
after `coffer admin migrate-root-key` (file -> a SoftHSM2 token), which rewraps the
service key versions and leaves format-3 object files byte for byte as they
are. In a cluster (PostgreSQL, shared blob directory) a version made through
one node's data directory is used by every node for its next object.
"""

import json
import os
import sqlite3
import struct
import subprocess
import uuid

import pytest

from conftest import COFFER_BIN, wait_for
from test_cluster import Cluster
from test_cluster import postgres  # noqa: F401  (fixture)
from test_s3 import make_s3
from test_hsm import hsm, root_key_files  # noqa: F401  (fixture)
from test_session_expiry import clocks  # noqa: F401  (fixture)

DAY = 86400


def blob_files(blob_dir):
    return {p for shard in blob_dir.glob("??") if shard.is_dir() for p in shard.iterdir() if p.is_file()}


def key_version(blob):
    """The service key version in a format-3 blob header (docs/blobs.md)."""
    head = blob.read_bytes()[:16]
    assert head[:4] == b"CFBL" and head[4] == 3, head
    return struct.unpack(">I", head[10:14])[0]


def put(s3, blob_dir, bucket, key, body, **kwargs):
    """PUTs one object and returns its new blob file."""
    before = blob_files(blob_dir)
    s3.put_object(Bucket=bucket, Key=key, Body=body, **kwargs)
    [blob] = blob_files(blob_dir) - before
    return blob


def current_version_in_db(data_dir):
    db = sqlite3.connect(f"file:{data_dir / 'coffer.db'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT v FROM kv WHERE tbl = 's3_service_keys' AND k = ?", (b"current",)).fetchone()
    finally:
        db.close()
    return None if row is None else json.loads(bytes(row[0]))["version"]


def read_back(s3, bucket, objects):
    for key, body in objects.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key


def test_objects_under_every_service_key_version_read_back(fresh_server, clocks):  # noqa: F811
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--sweep-interval", "1",
                                   "--s3-service-key-rotation-days", "30"])
    blob_dir = srv.data_dir / "s3" / "blobs"
    s3 = make_s3(srv)
    bucket = "svc-key-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    objects = {"first": os.urandom(200 * 1024 + 3)}
    assert key_version(put(s3, blob_dir, bucket, "first", objects["first"])) == 1

    # The admin command, the server running: the next object uses version 2 at once.
    assert srv.admin("rotate-s3-service-key") == {"S3ServiceKeyVersion": 2}
    objects["second"] = b"after the admin rotation"
    assert key_version(put(s3, blob_dir, bucket, "second", objects["second"])) == 2
    objects["kms"] = b"an SSE-KMS object under version 2"
    assert key_version(put(s3, blob_dir, bucket, "kms", objects["kms"], ServerSideEncryption="aws:kms")) == 2
    read_back(s3, bucket, objects)

    # 29 days on the server clock: not due yet; 31 days: the sweeper rotates.
    clocks(29 * DAY)
    objects["third"] = b"still version 2"
    assert key_version(put(s3, blob_dir, bucket, "third", objects["third"])) == 2
    clocks(31 * DAY)
    wait_for(lambda: current_version_in_db(srv.data_dir) == 3, 30, "the sweeper to rotate the S3 service key")
    objects["fourth"] = b"after the clock rotation"
    assert key_version(put(s3, blob_dir, bucket, "fourth", objects["fourth"])) == 3
    read_back(s3, bucket, objects)
    assert "rotated the S3 service key to version 3" in srv.log_text()

    # A restart reads every version back from the store; no object file was rewritten.
    versions = {blob: key_version(blob) for blob in blob_files(blob_dir)}
    assert sorted(versions.values()) == [1, 2, 2, 2, 3]
    assert srv.stop() == 0
    srv.start()
    s3 = make_s3(srv)
    read_back(s3, bucket, objects)
    assert {blob: key_version(blob) for blob in blob_files(blob_dir)} == versions
    assert key_version(put(s3, blob_dir, bucket, "fifth", b"after the restart")) == 3


def admin(data_dir, *args, core_args=()):
    """`coffer admin` with the given core options (root key provider, store) before the command."""
    out = subprocess.run([COFFER_BIN, "admin", "--data-dir", str(data_dir), *core_args, *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"coffer admin {args} failed: {out.stdout}\n{out.stderr}"
    return json.loads(out.stdout)


def test_migrate_root_key_rewraps_the_service_key_and_leaves_object_files(fresh_server, tmp_path, hsm):
    data_dir = tmp_path / "data"
    srv = fresh_server(data_dir=data_dir)
    blob_dir = data_dir / "s3" / "blobs"
    s3 = make_s3(srv)
    s3.create_bucket(Bucket="migrated")
    objects = {"old": os.urandom(70000), "kms": b"sse-kms body"}
    put(s3, blob_dir, "migrated", "old", objects["old"])
    put(s3, blob_dir, "migrated", "kms", objects["kms"], ServerSideEncryption="aws:kms")
    assert srv.admin("rotate-s3-service-key") == {"S3ServiceKeyVersion": 2}
    objects["new"] = b"under version 2"
    put(s3, blob_dir, "migrated", "new", objects["new"])
    assert srv.stop() == 0
    files_before = {blob: blob.read_bytes() for blob in blob_files(blob_dir)}

    token_args = hsm.serve_args()[2:]  # the --pkcs11-* options
    report = admin(data_dir, *token_args, "migrate-root-key", "--to", "pkcs11")
    assert report["RootKeyProvider"] == "pkcs11" and report["Rewrapped"] > 0
    assert {blob: blob.read_bytes() for blob in blob_files(blob_dir)} == files_before, \
        "format-3 object files are not rewritten: their data keys are under the service key"
    assert root_key_files(data_dir) == [], "the old root key file is destroyed"

    srv.extra_args = hsm.serve_args()
    srv.start()
    s3 = make_s3(srv)
    read_back(s3, "migrated", objects)
    assert key_version(put(s3, blob_dir, "migrated", "after", b"after the migration")) == 2


def test_a_negative_rotation_period_is_refused_at_start(tmp_path):
    out = subprocess.run([COFFER_BIN, "serve", "--data-dir", str(tmp_path / "data"), "--listen", "127.0.0.1:0",
                          "--s3-service-key-rotation-days", "-1"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "--s3-service-key-rotation-days" in out.stderr


@pytest.fixture
def two_nodes(postgres, tmp_path):  # noqa: F811
    shared = tmp_path / "shared-blobs"
    c = Cluster(postgres, tmp_path / "cluster", extra_args=["--s3-blob-dir", str(shared)])
    a, b = c.add_node(), c.add_node()
    yield a, b, shared, c
    c.stop_all()


def test_every_cluster_node_uses_a_new_version_at_once(two_nodes):
    a, b, shared, c = two_nodes
    s3_a, s3_b = make_s3(a), make_s3(b, creds=a.creds)
    s3_a.create_bucket(Bucket="cluster")
    objects = {"a1": b"node a, version 1", "b1": b"node b, version 1"}
    assert key_version(put(s3_a, shared, "cluster", "a1", objects["a1"])) == 1
    assert key_version(put(s3_b, shared, "cluster", "b1", objects["b1"])) == 1
    # Rotated through node a's data directory and the shared database.
    rotated = admin(a.data_dir, "rotate-s3-service-key", core_args=["--store", c.store])
    assert rotated == {"S3ServiceKeyVersion": 2}
    objects["b2"], objects["a2"] = b"node b, version 2", b"node a, version 2"
    assert key_version(put(s3_b, shared, "cluster", "b2", objects["b2"])) == 2
    assert key_version(put(s3_a, shared, "cluster", "a2", objects["a2"])) == 2
    read_back(s3_a, "cluster", objects)
    read_back(s3_b, "cluster", objects)
