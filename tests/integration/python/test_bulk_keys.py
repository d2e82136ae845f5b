"""`coffer admin bulk-create-keys` (docs/operations.md, "Many keys at once"):
keys made in batched store transactions, the server running, that every KMS
operation then uses like keys from CreateKey; the sweeper finds a bulk key
scheduled for deletion through its due index.
"""

import subprocess

from botocore.exceptions import ClientError

from conftest import COFFER_BIN, make_kms, wait_for
from test_session_expiry import clocks  # noqa: F401  (fixture)

DAY = 86400


def bulk(srv, *args):
    return subprocess.run([COFFER_BIN, "admin", "--data-dir", str(srv.data_dir), *srv.store_args,
                           "bulk-create-keys", *args], capture_output=True, text=True, timeout=120)


def all_key_ids(kms):
    ids = []
    for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 10}):
        ids += [k["KeyId"] for k in page["Keys"]]
    return ids


def test_bulk_keys_work_with_every_operation(fresh_server, clocks):  # noqa: F811
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--sweep-interval", "1"])
    kms = make_kms(srv)
    before = set(all_key_ids(kms))
    report = srv.admin("bulk-create-keys", "--account-id", srv.creds.account_id, "--count", "23",
                       "--per-transaction", "5")
    assert report["Created"] == 23
    assert report["AccountId"] == srv.creds.account_id and report["Region"] == "us-east-1"

    new = set(all_key_ids(kms)) - before
    assert len(new) == 23
    assert {report["FirstKeyId"], report["LastKeyId"]} <= new
    for key_id in (report["FirstKeyId"], report["LastKeyId"]):
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyUsage"], meta["KeyState"], meta["Origin"], meta["KeyManager"]) == (
            "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Enabled", "AWS_KMS", "CUSTOMER")
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"from the bulk path")["CiphertextBlob"]
        out = kms.decrypt(CiphertextBlob=blob)
        assert out["Plaintext"] == b"from the bulk path" and out["KeyId"] == meta["Arn"]

    # The sweeper deletes a bulk key at the end of its waiting period, and only it.
    doomed = report["FirstKeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    clocks(8 * DAY)

    def gone():
        try:
            kms.describe_key(KeyId=doomed)
            return None
        except ClientError as e:
            return e.response["Error"]["Code"] == "NotFoundException"

    wait_for(gone, 30, "the sweeper deleting the bulk key")
    assert set(all_key_ids(kms)) - before == new - {doomed}


def test_bulk_create_refuses_an_unknown_account(fresh_server):
    srv = fresh_server()
    out = bulk(srv, "--account-id", "999999999999", "--count", "3")
    assert out.returncode == 1
    assert "account 999999999999 does not exist" in out.stderr
    assert all_key_ids(make_kms(srv)) == []


def test_bulk_create_refuses_a_count_or_batch_of_zero(fresh_server):
    srv = fresh_server()
    for args in (["--count", "0"], ["--count", "3", "--per-transaction", "0"]):
        out = bulk(srv, "--account-id", srv.creds.account_id, *args)
        assert out.returncode != 0, args
        assert "not in range" in out.stderr, out.stderr
    assert all_key_ids(make_kms(srv)) == []
