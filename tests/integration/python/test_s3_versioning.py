"""S3 versioning on Coffer's endpoint, driven with boto3.

PutBucketVersioning / GetBucketVersioning, version ids on PUT, copy and
multipart completion, the "null" version, delete markers, reads and deletes
by VersionId, ListObjectVersions (with the boto3 paginator) and DeleteBucket
while versions remain. Every error case sends exactly the input that causes
it and checks the S3 error code and HTTP status.
"""

import hashlib
import os
import uuid

import pytest

from test_s3 import MiB, bucket, make_s3, s3, s3_error  # noqa: F401  (fixtures)


def enable(s3, bucket, status="Enabled"):  # noqa: F811
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def body_of(s3, bucket, key, version_id=None):  # noqa: F811
    kwargs = {"VersionId": version_id} if version_id is not None else {}
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


def all_versions(s3, bucket, **kwargs):  # noqa: F811
    """Every entry of an unpaged ListObjectVersions as (key, version id, is latest, is marker), in order."""
    resp = s3.list_object_versions(Bucket=bucket, **kwargs)
    assert not resp["IsTruncated"]
    entries = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in resp.get("Versions", [])]
    entries += [(m["Key"], m["VersionId"], m["IsLatest"], True) for m in resp.get("DeleteMarkers", [])]
    return entries


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


def test_bucket_versioning_configuration(s3, bucket):  # noqa: F811
    got = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in got
    for status in ("Enabled", "Suspended", "Enabled"):
        put = s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == status


@pytest.mark.parametrize("status", ["Disabled", "enabled", "Off"])
def test_bucket_versioning_other_status_is_malformed_xml(s3, bucket, status):  # noqa: F811
    s3_error("MalformedXML", 400, s3.put_bucket_versioning, Bucket=bucket,
             VersioningConfiguration={"Status": status})
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


def test_bucket_versioning_of_missing_bucket(s3):  # noqa: F811
    name = "it-none-" + uuid.uuid4().hex[:12]
    s3_error("NoSuchBucket", 404, s3.put_bucket_versioning, Bucket=name,
             VersioningConfiguration={"Status": "Enabled"})
    s3_error("NoSuchBucket", 404, s3.get_bucket_versioning, Bucket=name)


# --------------------------------------------------------------------------
# Version ids and reads by version
# --------------------------------------------------------------------------


def test_unversioned_bucket_has_no_version_ids(s3, bucket):  # noqa: F811
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    assert "VersionId" not in put
    assert "VersionId" not in s3.get_object(Bucket=bucket, Key="k")
    assert body_of(s3, bucket, "k", "null") == b"one"
    assert all_versions(s3, bucket) == [("k", "null", True, False)]
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert "DeleteMarker" not in deleted and "VersionId" not in deleted
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="k")
    assert all_versions(s3, bucket) == []


def test_enabled_bucket_versions_every_put(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=body)["VersionId"] for body in (b"one", b"two", b"three")]
    assert len(set(ids)) == 3 and "null" not in ids
    assert body_of(s3, bucket, "k") == b"three"
    for version_id, body in zip(ids, (b"one", b"two", b"three")):
        got = s3.get_object(Bucket=bucket, Key="k", VersionId=version_id)
        assert got["VersionId"] == version_id
        assert got["Body"].read() == body
        head = s3.head_object(Bucket=bucket, Key="k", VersionId=version_id)
        assert head["VersionId"] == version_id and head["ContentLength"] == len(body)
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == ids[-1]
    assert all_versions(s3, bucket) == [("k", ids[2], True, False), ("k", ids[1], False, False),
                                        ("k", ids[0], False, False)]


def test_unknown_and_malformed_version_ids(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    version_id = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    unknown = "0123456789abcdef01234567"
    assert unknown != version_id
    s3_error("NoSuchVersion", 404, s3.get_object, Bucket=bucket, Key="k", VersionId=unknown)
    s3_error("404", 404, s3.head_object, Bucket=bucket, Key="k", VersionId=unknown)
    s3_error("NoSuchVersion", 404, s3.get_object, Bucket=bucket, Key="other", VersionId=version_id)
    for malformed in ("abc", "not-a-version-id-at-all!"):
        s3_error("InvalidArgument", 400, s3.get_object, Bucket=bucket, Key="k", VersionId=malformed)
        s3_error("400", 400, s3.head_object, Bucket=bucket, Key="k", VersionId=malformed)
        s3_error("InvalidArgument", 400, s3.delete_object, Bucket=bucket, Key="k", VersionId=malformed)
    assert body_of(s3, bucket, "k") == b"one"


# --------------------------------------------------------------------------
# Delete markers and deleting versions
# --------------------------------------------------------------------------


def test_delete_marker(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket=bucket, Key="other", Body=b"x")
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert marker not in (v1, "null")

    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="k")
    s3_error("404", 404, s3.head_object, Bucket=bucket, Key="k")
    s3_error("MethodNotAllowed", 405, s3.get_object, Bucket=bucket, Key="k", VersionId=marker)
    s3_error("405", 405, s3.head_object, Bucket=bucket, Key="k", VersionId=marker)
    assert body_of(s3, bucket, "k", v1) == b"one"
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["other"]
    assert [c["Key"] for c in s3.list_objects(Bucket=bucket)["Contents"]] == ["other"]
    assert all_versions(s3, bucket, Prefix="k") == [("k", v1, False, False), ("k", marker, True, True)]

    # Removing the marker by id brings the object back.
    undeleted = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert undeleted["VersionId"] == marker and undeleted["DeleteMarker"] is True
    assert body_of(s3, bucket, "k") == b"one"
    assert sorted(c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["k", "other"]


def test_deleting_the_current_version_promotes_the_newest_older_one(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    v1, v2, v3 = (s3.put_object(Bucket=bucket, Key="k", Body=b)["VersionId"] for b in (b"one", b"two", b"three"))
    deleted = s3.delete_object(Bucket=bucket, Key="k", VersionId=v3)
    assert deleted["VersionId"] == v3 and "DeleteMarker" not in deleted
    assert body_of(s3, bucket, "k") == b"two"
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == v2
    s3_error("NoSuchVersion", 404, s3.get_object, Bucket=bucket, Key="k", VersionId=v3)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)  # noncurrent: the current one stays
    assert body_of(s3, bucket, "k") == b"two"
    assert all_versions(s3, bucket) == [("k", v2, True, False)]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="k")
    assert all_versions(s3, bucket) == []
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_bucket_not_empty_while_versions_remain(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    s3_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3_error("NoSuchBucket", 404, s3.get_bucket_versioning, Bucket=bucket)


def test_delete_objects_with_version_ids(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    a1 = s3.put_object(Bucket=bucket, Key="a", Body=b"a1")["VersionId"]
    a2 = s3.put_object(Bucket=bucket, Key="a", Body=b"a2")["VersionId"]
    s3.put_object(Bucket=bucket, Key="b", Body=b"b1")
    c_marker = s3.delete_object(Bucket=bucket, Key="c")["VersionId"]
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a", "VersionId": a1}, {"Key": "b"}, {"Key": "c", "VersionId": c_marker}]})
    assert not resp.get("Errors")
    deleted = {d["Key"]: d for d in resp["Deleted"]}
    assert deleted["a"]["VersionId"] == a1 and not deleted["a"].get("DeleteMarker")
    assert deleted["b"]["DeleteMarker"] is True and deleted["b"]["DeleteMarkerVersionId"]
    assert deleted["c"]["VersionId"] == c_marker and deleted["c"]["DeleteMarker"] is True
    s3_error("NoSuchVersion", 404, s3.get_object, Bucket=bucket, Key="a", VersionId=a1)
    assert body_of(s3, bucket, "a") == b"a2"
    assert body_of(s3, bucket, "a", a2) == b"a2"
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="b")
    assert all_versions(s3, bucket, Prefix="c") == []


# --------------------------------------------------------------------------
# The null version
# --------------------------------------------------------------------------


def test_null_version_before_enabling_and_while_suspended(s3, bucket):  # noqa: F811
    s3.put_object(Bucket=bucket, Key="k", Body=b"null-1")
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"enabled-1")["VersionId"]
    assert body_of(s3, bucket, "k", "null") == b"null-1"
    assert all_versions(s3, bucket) == [("k", v1, True, False), ("k", "null", False, False)]

    enable(s3, bucket, "Suspended")
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"null-2")
    assert put.get("VersionId") == "null"
    # The new null version replaced the noncurrent one; v1 stays.
    assert body_of(s3, bucket, "k") == b"null-2"
    assert body_of(s3, bucket, "k", "null") == b"null-2"
    assert body_of(s3, bucket, "k", v1) == b"enabled-1"
    assert all_versions(s3, bucket) == [("k", "null", True, False), ("k", v1, False, False)]

    s3.put_object(Bucket=bucket, Key="k", Body=b"null-3")  # replaces the current null version
    assert all_versions(s3, bucket) == [("k", "null", True, False), ("k", v1, False, False)]
    assert body_of(s3, bucket, "k", "null") == b"null-3"

    deleted = s3.delete_object(Bucket=bucket, Key="k")  # a null delete marker replaces it in turn
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    s3_error("NoSuchKey", 404, s3.get_object, Bucket=bucket, Key="k")
    s3_error("MethodNotAllowed", 405, s3.get_object, Bucket=bucket, Key="k", VersionId="null")
    assert all_versions(s3, bucket) == [("k", v1, False, False), ("k", "null", True, True)]


# --------------------------------------------------------------------------
# Copy and multipart
# --------------------------------------------------------------------------


def test_copy_object_from_a_version(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="src", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="src", Body=b"two")["VersionId"]
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert copied["CopySourceVersionId"] == v1
    assert copied["VersionId"] not in (v1, v2, "null")
    assert body_of(s3, bucket, "dst") == b"one"
    assert body_of(s3, bucket, "dst", copied["VersionId"]) == b"one"
    current = s3.copy_object(Bucket=bucket, Key="dst2", CopySource={"Bucket": bucket, "Key": "src"})
    assert current["CopySourceVersionId"] == v2
    assert body_of(s3, bucket, "dst2") == b"two"
    s3_error("NoSuchVersion", 404, s3.copy_object, Bucket=bucket, Key="dst3",
             CopySource={"Bucket": bucket, "Key": "src", "VersionId": "0123456789abcdef01234567"})
    s3.delete_object(Bucket=bucket, Key="src")
    s3_error("NoSuchKey", 404, s3.copy_object, Bucket=bucket, Key="dst3", CopySource={"Bucket": bucket, "Key": "src"})
    again = s3.copy_object(Bucket=bucket, Key="dst3", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v2})
    assert again["CopySourceVersionId"] == v2
    assert body_of(s3, bucket, "dst3") == b"two"


def test_complete_multipart_upload_makes_a_version(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"single")["VersionId"]
    parts = [os.urandom(5 * MiB), b"tail"]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=n + 1, Body=p)["ETag"]
             for n, p in enumerate(parts)]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    v2 = done["VersionId"]
    assert v2 not in (v1, "null")
    assert hashlib.sha256(body_of(s3, bucket, "k")).digest() == hashlib.sha256(b"".join(parts)).digest()
    assert body_of(s3, bucket, "k", v1) == b"single"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert body_of(s3, bucket, "k") == b"single"


# --------------------------------------------------------------------------
# ListObjectVersions
# --------------------------------------------------------------------------


def test_list_object_versions_prefix_and_delimiter(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    ids = {}
    for key in ("a", "dir/b", "a", "dir/c", "dir/b", "z"):
        ids.setdefault(key, []).insert(0, s3.put_object(Bucket=bucket, Key=key, Body=key.encode())["VersionId"])
    marker = s3.delete_object(Bucket=bucket, Key="z")["VersionId"]

    resp = s3.list_object_versions(Bucket=bucket, Prefix="dir/")
    assert [(v["Key"], v["VersionId"]) for v in resp["Versions"]] == \
        [("dir/b", ids["dir/b"][0]), ("dir/b", ids["dir/b"][1]), ("dir/c", ids["dir/c"][0])]
    assert [v["IsLatest"] for v in resp["Versions"]] == [True, False, True]
    assert "DeleteMarkers" not in resp
    assert all(v["Size"] == len(v["Key"]) and v["ETag"].startswith('"') for v in resp["Versions"])

    folded = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in folded["CommonPrefixes"]] == ["dir/"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in folded["Versions"]] == \
        [("a", ids["a"][0], True), ("a", ids["a"][1], False), ("z", ids["z"][0], False)]
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in folded["DeleteMarkers"]] == [("z", marker, True)]

    s3_error("InvalidArgument", 400, s3.list_object_versions, Bucket=bucket, VersionIdMarker=ids["a"][0])


def test_list_object_versions_key_and_version_id_markers(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    a = [s3.put_object(Bucket=bucket, Key="a", Body=b"x")["VersionId"] for _ in range(3)][::-1]
    b = s3.put_object(Bucket=bucket, Key="b", Body=b"x")["VersionId"]
    first = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert first["IsTruncated"] is True
    assert [v["VersionId"] for v in first["Versions"]] == a[:2]
    assert (first["NextKeyMarker"], first["NextVersionIdMarker"]) == ("a", a[1])
    second = s3.list_object_versions(Bucket=bucket, MaxKeys=2, KeyMarker="a", VersionIdMarker=a[1])
    assert [(v["Key"], v["VersionId"]) for v in second["Versions"]] == [("a", a[2]), ("b", b)]
    assert second["IsTruncated"] is False
    after_a = s3.list_object_versions(Bucket=bucket, KeyMarker="a")
    assert [(v["Key"], v["VersionId"]) for v in after_a["Versions"]] == [("b", b)]


def test_list_object_versions_paginator_every_version_once(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    expected = set()
    for round_ in range(4):
        for key in ("k1", "k2", "k3"):
            resp = s3.put_object(Bucket=bucket, Key=key, Body=f"{key}-{round_}".encode())
            expected.add((key, resp["VersionId"]))
    assert len(expected) == 12
    seen = []
    pages = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, MaxKeys=5):
        pages += 1
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) <= 5
        seen += [(v["Key"], v["VersionId"]) for v in entries]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 12, seen
    assert set(seen) == expected
    # Keys in order, each key's versions newest first.
    assert [k for k, _ in seen] == sorted(k for k, _ in seen)


def test_list_object_versions_paginator_with_delimiter_lists_each_prefix_once(s3, bucket):  # noqa: F811
    enable(s3, bucket)
    for key in ("a", "dir/x", "dir/y", "e", "f"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    for max_keys in (1, 2, 3):
        keys, prefixes = [], []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Delimiter="/",
                                                                     MaxKeys=max_keys):
            keys += [v["Key"] for v in page.get("Versions", [])]
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert (keys, prefixes) == (["a", "e", "f"], ["dir/"]), f"MaxKeys={max_keys}"


def test_copy_an_older_version_onto_its_own_key_restores_it(s3, bucket):  # noqa: F811
    """S3's documented way to restore a previous version: copy it onto the same key."""
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    restored = s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k", "VersionId": v1})
    assert restored["CopySourceVersionId"] == v1
    assert restored["VersionId"] not in (v1, v2, "null")
    assert body_of(s3, bucket, "k") == b"one"
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == \
        [restored["VersionId"], v2, v1]
