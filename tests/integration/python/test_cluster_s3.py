"""S3 in cluster mode with a shared blob directory (`--s3-blob-dir DIR`, every
node the same DIR): the object bytes any node wrote are served by every node.
PutObject on one node, GetObject (whole and ranged) on the other; a multipart
upload whose parts go to both nodes, completed on one and read on the other;
a delete on one node is gone on the other, and its bytes are gone from DIR.

PostgreSQL is Debian's, started on loopback by cluster_helpers.py; the shared
directory is a local one, which has the POSIX rename and fsync semantics the
blob store needs (docs/operations.md, "Shared blob directory").
"""

import os

import pytest

from test_cluster import Cluster
from test_cluster import postgres  # noqa: F401  (fixture)
from test_s3 import make_s3, md5_etag, multipart_etag, s3_error

MIB = 1024 * 1024


def blob_files(directory):
    """The committed blob files under a blob directory (<2 hex>/<id>)."""
    found = []
    for shard in directory.iterdir() if directory.exists() else []:
        if shard.is_dir() and len(shard.name) == 2:
            found += [f for f in shard.iterdir() if f.is_file()]
    return found


@pytest.fixture
def two_nodes(postgres, tmp_path):  # noqa: F811
    shared = tmp_path / "shared-blobs"
    c = Cluster(postgres, tmp_path / "cluster", extra_args=["--s3-blob-dir", str(shared)])
    a, b = c.add_node(), c.add_node()
    yield make_s3(a), make_s3(b, creds=a.creds), shared, c
    c.stop_all()


def test_an_object_put_on_one_node_is_read_whole_and_by_range_on_the_other(two_nodes):
    s3_a, s3_b, shared, c = two_nodes
    s3_a.create_bucket(Bucket="shared")
    body = os.urandom(300 * 1024 + 7)
    put = s3_a.put_object(Bucket="shared", Key="k", Body=body)
    assert put["ETag"] == md5_etag(body)
    got = s3_b.get_object(Bucket="shared", Key="k")
    assert got["Body"].read() == body
    ranged = s3_b.get_object(Bucket="shared", Key="k", Range="bytes=70000-200000")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert ranged["Body"].read() == body[70000:200001]
    # The bytes are in the shared directory, not in a node's own data directory.
    assert len(blob_files(shared)) == 1
    for node in c.nodes:
        assert blob_files(node.data_dir / "s3" / "blobs") == []


def test_a_multipart_upload_spread_over_both_nodes_completes_and_reads_anywhere(two_nodes):
    s3_a, s3_b, shared, _ = two_nodes
    s3_a.create_bucket(Bucket="parts")
    upload = s3_a.create_multipart_upload(Bucket="parts", Key="big")["UploadId"]
    first, second = os.urandom(5 * MIB), os.urandom(123457)
    e1 = s3_a.upload_part(Bucket="parts", Key="big", UploadId=upload, PartNumber=1, Body=first)["ETag"]
    e2 = s3_b.upload_part(Bucket="parts", Key="big", UploadId=upload, PartNumber=2, Body=second)["ETag"]
    done = s3_b.complete_multipart_upload(
        Bucket="parts", Key="big", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert done["ETag"] == multipart_etag([first, second])
    assert s3_a.get_object(Bucket="parts", Key="big")["Body"].read() == first + second
    # A range across the boundary between the part written through A and the one through B.
    boundary = len(first)
    ranged = s3_a.get_object(Bucket="parts", Key="big", Range=f"bytes={boundary - 10}-{boundary + 9}")
    assert ranged["Body"].read() == (first + second)[boundary - 10:boundary + 10]


def test_an_object_deleted_on_one_node_is_gone_on_the_other_with_its_bytes(two_nodes):
    s3_a, s3_b, shared, _ = two_nodes
    s3_a.create_bucket(Bucket="gone")
    s3_a.put_object(Bucket="gone", Key="k", Body=b"short-lived")
    assert len(blob_files(shared)) == 1
    s3_b.delete_object(Bucket="gone", Key="k")
    s3_error("NoSuchKey", 404, s3_a.get_object, Bucket="gone", Key="k")
    assert blob_files(shared) == []


def test_an_aborted_upload_on_one_node_removes_the_parts_another_node_wrote(two_nodes):
    s3_a, s3_b, shared, _ = two_nodes
    s3_a.create_bucket(Bucket="aborted")
    upload = s3_a.create_multipart_upload(Bucket="aborted", Key="k")["UploadId"]
    s3_a.upload_part(Bucket="aborted", Key="k", UploadId=upload, PartNumber=1, Body=b"part one")
    assert len(blob_files(shared)) == 1
    s3_b.abort_multipart_upload(Bucket="aborted", Key="k", UploadId=upload)
    s3_error("NoSuchUpload", 404, s3_a.list_parts, Bucket="aborted", Key="k", UploadId=upload)
    assert blob_files(shared) == []
