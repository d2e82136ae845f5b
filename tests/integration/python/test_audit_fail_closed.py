"""Strict audit fails closed: when the trail cannot be written (a full disk),
the waiting request is answered with a 500 instead of its success, further
audited requests are refused before they run, and service resumes once the
trail can be written again, with the refused records written then.

The data directory lives on a small tmpfs this test mounts itself (root is
needed to mount; the test is skipped, saying why, where mounting is refused).
"""
import os
import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_kms, wait_for


@pytest.fixture
def small_fs(tmp_path):
    mount_point = tmp_path / "small-fs"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory):
    """Writes a filler file until the file system is full; returns its path."""
    path = directory / "filler.bin"
    block = b"\0" * (1 << 16)
    with open(path, "wb") as f:
        try:
            while True:
                f.write(block)
                f.flush()
        except OSError:
            pass
        try:
            os.fsync(f.fileno())
        except OSError:
            pass
    return path


def status_and_code(fn):
    try:
        fn()
    except ClientError as err:
        return err.response["ResponseMetadata"]["HTTPStatusCode"], err.response["Error"]["Code"]
    return 200, None


def test_full_trail_fails_requests_closed_and_recovers(small_fs, fresh_server):
    server = fresh_server(data_dir=small_fs / "data",
                          extra_args=["--audit-durability", "strict", "--log-level", "warn"])
    kms = make_kms(server)
    key_id = kms.create_key(Description="before the disk fills")["KeyMetadata"]["KeyId"]

    fill(small_fs)
    # The request that meets the full disk: its operation ran, its record did
    # not reach the disk, so its success must not be sent. (The trail's last
    # page may still take a record or two before the disk is really full.)
    outcomes = []
    for _ in range(8):
        outcomes.append(status_and_code(lambda: kms.describe_key(KeyId=key_id)))
        if outcomes[-1][0] != 200:
            break
    assert outcomes[-1] == (500, "KMSInternalException"), (outcomes, server.log_text())

    # While the trail cannot be written, audited requests are refused before
    # they run: a CreateKey must not create a key.
    marker = f"refused-{uuid.uuid4()}"
    status, code = status_and_code(lambda: kms.create_key(Description=marker))
    assert (status, code) == (500, "KMSInternalException")

    # Room again: within a few retry intervals the queued records are written
    # and requests succeed.
    (small_fs / "filler.bin").unlink()
    wait_for(lambda: status_and_code(lambda: kms.describe_key(KeyId=key_id))[0] == 200, 15,
             "the trail to accept records again")
    descriptions = []
    for page in kms.get_paginator("list_keys").paginate():
        for k in page["Keys"]:
            descriptions.append(kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"].get("Description"))
    assert marker not in descriptions, "a request refused while the trail was full still ran"

    # The DescribeKey that got the 500 was recorded once the disk had room:
    # nothing is lost from the trail.
    events = (small_fs / "data" / "audit" / "events.jsonl").read_text()
    assert events.count('"eventName":"DescribeKey"') >= 2
