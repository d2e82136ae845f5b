"""Key lifecycle: CreateKey, DescribeKey, ListKeys, Enable/Disable, deletion, key policy."""

import datetime
import json
import re
import uuid

from conftest import REGION, expect_error, expect_validation

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def test_create_key_defaults(kms, account_id):
    before = now_utc()
    meta = kms.create_key()["KeyMetadata"]
    assert re.fullmatch(UUID_RE, meta["KeyId"]), meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{account_id}:key/{meta['KeyId']}"
    assert meta["AWSAccountId"] == account_id
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Enabled"] is True
    assert meta["KeyState"] == "Enabled"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["MultiRegion"] is False
    assert meta["Description"] == ""
    created = meta["CreationDate"]
    assert before - datetime.timedelta(seconds=5) <= created <= now_utc() + datetime.timedelta(seconds=5)


def test_create_key_with_description_and_tags(kms):
    meta = kms.create_key(Description="payroll key",
                          Tags=[{"TagKey": "team", "TagValue": "finance"},
                                {"TagKey": "env", "TagValue": ""}])["KeyMetadata"]
    assert meta["Description"] == "payroll key"
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {"team": "finance", "env": ""}


def test_create_key_rejects_unknown_key_usage(kms):
    expect_validation("keyUsage", kms.create_key, KeyUsage="NOT_A_USAGE")


def test_describe_key_by_every_identifier_form(kms, new_key, account_id):
    meta = new_key(Description="described")
    alias = f"alias/describe-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{account_id}:{alias}"
    for key_id in (meta["KeyId"], meta["Arn"], alias, alias_arn):
        got = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert got["KeyId"] == meta["KeyId"], key_id
        assert got["Arn"] == meta["Arn"], key_id
        assert got["Description"] == "described"


def test_describe_unknown_key_id_is_not_found(kms):
    err = expect_error("NotFoundException", kms.describe_key, KeyId=str(uuid.uuid4()))
    assert err.response["Error"]["Message"]


def test_describe_unknown_key_arn_is_not_found(kms, account_id):
    arn = f"arn:aws:kms:{REGION}:{account_id}:key/{uuid.uuid4()}"
    expect_error("NotFoundException", kms.describe_key, KeyId=arn)


def test_describe_unknown_alias_is_not_found(kms):
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/no-such-alias-" + uuid.uuid4().hex)


def test_describe_malformed_key_id_is_not_found(kms):
    # AWS answers a key id that is no UUID with NotFoundException "Invalid keyId '...'".
    expect_error("NotFoundException", kms.describe_key, KeyId="fake-key-id")


def test_describe_empty_key_id_is_validation_error(kms):
    expect_validation("keyId", kms.describe_key, KeyId="")


def test_describe_key_id_too_long_is_validation_error(kms):
    expect_validation("keyId", kms.describe_key, KeyId="a" * 2049)


def test_list_keys_paginates_without_loss_or_duplicates(kms, new_key):
    created = {new_key()["KeyId"] for _ in range(5)}
    seen = []
    marker = None
    pages = 0
    while True:
        kwargs = {"Limit": 2}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_keys(**kwargs)
        pages += 1
        assert len(page["Keys"]) <= 2
        for entry in page["Keys"]:
            assert entry["KeyArn"].endswith("key/" + entry["KeyId"])
        seen.extend(k["KeyId"] for k in page["Keys"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert page["NextMarker"]
        marker = page["NextMarker"]
        assert pages < 1000
    assert len(seen) == len(set(seen)), "a key appeared on two pages"
    assert created <= set(seen)
    assert pages >= 3


def test_list_keys_default_lists_new_key(kms, new_key):
    key_id = new_key()["KeyId"]
    ids = []
    for page in kms.get_paginator("list_keys").paginate():
        ids.extend(k["KeyId"] for k in page["Keys"])
    assert key_id in ids


def test_list_keys_bad_marker_is_invalid_marker(kms):
    expect_error("InvalidMarkerException", kms.list_keys, Marker="not-a-marker-we-issued")


def test_list_keys_limit_out_of_range_is_validation_error(kms):
    expect_validation("limit", kms.list_keys, Limit=0)
    expect_validation("limit", kms.list_keys, Limit=1001)


def test_disable_and_enable_key(kms, new_key):
    key_id = new_key()["KeyId"]
    kms.disable_key(KeyId=key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled"
    assert meta["Enabled"] is False
    expect_error("DisabledException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("DisabledException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    kms.enable_key(KeyId=key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["Enabled"] is True
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]


def test_decrypt_under_disabled_key_is_disabled(kms, new_key):
    key_id = new_key()["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.decrypt, CiphertextBlob=blob)


def test_enable_unknown_key_is_not_found(kms):
    expect_error("NotFoundException", kms.enable_key, KeyId=str(uuid.uuid4()))
    expect_error("NotFoundException", kms.disable_key, KeyId=str(uuid.uuid4()))


def test_update_key_description(kms, new_key):
    key_id = new_key(Description="old")["KeyId"]
    kms.update_key_description(KeyId=key_id, Description="new description")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "new description"


def test_update_key_description_too_long_is_validation_error(kms, new_key):
    key_id = new_key()["KeyId"]
    expect_validation("description", kms.update_key_description, KeyId=key_id,
                      Description="d" * 8193)


def test_schedule_key_deletion_default_window_is_30_days(kms, new_key):
    meta = new_key()
    before = now_utc()
    resp = kms.schedule_key_deletion(KeyId=meta["KeyId"])
    assert resp["KeyId"] == meta["Arn"]
    assert resp["KeyState"] == "PendingDeletion"
    assert resp["PendingWindowInDays"] == 30
    expected = before + datetime.timedelta(days=30)
    assert abs((resp["DeletionDate"] - expected).total_seconds()) < 2 * 86400
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["Enabled"] is False
    assert abs((described["DeletionDate"] - resp["DeletionDate"]).total_seconds()) < 1


def test_schedule_key_deletion_with_7_day_window(kms, new_key):
    key_id = new_key()["KeyId"]
    before = now_utc()
    resp = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert resp["PendingWindowInDays"] == 7
    expected = before + datetime.timedelta(days=7)
    assert abs((resp["DeletionDate"] - expected).total_seconds()) < 2 * 86400


def test_schedule_key_deletion_window_out_of_range(kms, new_key):
    key_id = new_key()["KeyId"]
    for days in (6, 31, 0):
        expect_validation("pendingWindowInDays", kms.schedule_key_deletion,
                          KeyId=key_id, PendingWindowInDays=days)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_pending_deletion_key_refuses_crypto(kms, new_key):
    key_id = new_key()["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    expect_error("KMSInvalidStateException", kms.generate_data_key, KeyId=key_id,
                 KeySpec="AES_256")
    expect_error("KMSInvalidStateException", kms.enable_key, KeyId=key_id)
    expect_error("KMSInvalidStateException", kms.schedule_key_deletion, KeyId=key_id)


def test_cancel_key_deletion_leaves_key_disabled(kms, new_key):
    meta = new_key()
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    resp = kms.cancel_key_deletion(KeyId=meta["KeyId"])
    assert resp["KeyId"] == meta["Arn"]
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Disabled"
    assert described["Enabled"] is False
    assert "DeletionDate" not in described
    kms.enable_key(KeyId=meta["KeyId"])
    assert kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"ok")["CiphertextBlob"]


def test_cancel_deletion_of_key_not_pending_is_invalid_state(kms, new_key):
    key_id = new_key()["KeyId"]
    expect_error("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=key_id)


def test_default_key_policy(kms, new_key, account_id):
    key_id = new_key()["KeyId"]
    resp = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    policy = json.loads(resp["Policy"])
    assert policy["Version"] == "2012-10-17"
    statements = policy["Statement"]
    assert isinstance(statements, list)
    root = f"arn:aws:iam::{account_id}:root"

    def grants_root_everything(stmt):
        principal = stmt.get("Principal", {})
        principal = principal.get("AWS") if isinstance(principal, dict) else principal
        principals = principal if isinstance(principal, list) else [principal]
        actions = stmt.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        return (stmt.get("Effect") == "Allow" and root in principals
                and "kms:*" in actions and stmt.get("Resource") == "*")

    assert any(grants_root_everything(s) for s in statements), policy


def test_get_key_policy_without_policy_name_defaults(kms, new_key):
    key_id = new_key()["KeyId"]
    resp = kms.get_key_policy(KeyId=key_id)
    assert json.loads(resp["Policy"])["Statement"]
    assert resp.get("PolicyName", "default") == "default"


def test_get_key_policy_other_name_is_not_found(kms, new_key):
    key_id = new_key()["KeyId"]
    expect_error("NotFoundException", kms.get_key_policy, KeyId=key_id, PolicyName="other")


def test_put_key_policy_round_trip(kms, new_key, account_id):
    key_id = new_key()["KeyId"]
    policy = {
        "Version": "2012-10-17",
        "Id": "custom-policy",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }, {
            "Sid": "Describe only",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": ["kms:DescribeKey"],
            "Resource": "*",
        }],
    }
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    got = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert got == policy


def test_put_key_policy_not_json_is_malformed(kms, new_key):
    key_id = new_key()["KeyId"]
    expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id,
                 PolicyName="default", Policy="this is { not json")


def test_list_key_policies(kms, new_key):
    key_id = new_key()["KeyId"]
    resp = kms.list_key_policies(KeyId=key_id)
    assert resp["PolicyNames"] == ["default"]
    assert resp["Truncated"] is False


def test_create_key_with_policy(kms, account_id):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }
    key_id = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == policy
