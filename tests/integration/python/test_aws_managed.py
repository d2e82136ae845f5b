"""AWS managed keys behind predefined aliases such as alias/aws/ebs.

A predefined alias has no key until first use; then KMS creates an AWS managed
key (KeyManager AWS), associates the alias, and rotates it yearly. Callers can
read it but not manage it: the AWS managed key policy only allows
Describe*/Get*/List* directly, so management calls are refused with
AccessDeniedException (HTTP 400). Cryptographic use is allowed only through the
integrated service (kms:ViaService), so direct Encrypt/GenerateDataKey calls are
refused too, as on AWS (the policy engine evaluates the stored key policy).
"""

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, expect_error, make_kms


def managed_key(kms):
    return kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]


def test_first_use_creates_aws_managed_key(fresh_server):
    srv = fresh_server()
    kms = make_kms(srv)
    names = {a["AliasName"]: a for page in kms.get_paginator("list_aliases").paginate()
             for a in page["Aliases"]}
    assert "TargetKeyId" not in names.get("alias/aws/ebs", {}), "created before first use"

    meta = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{srv.creds.account_id}:key/{meta['KeyId']}"
    assert meta["KeyManager"] == "AWS"
    assert meta["KeyState"] == "Enabled"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Origin"] == "AWS_KMS"

    aliases = {a["AliasName"]: a for page in kms.get_paginator("list_aliases").paginate()
               for a in page["Aliases"]}
    assert aliases["alias/aws/ebs"]["TargetKeyId"] == meta["KeyId"]

    # The same key is reused afterwards; ListKeys shows it.
    assert kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"] == meta["Arn"]
    key_ids = {k["KeyId"] for page in kms.get_paginator("list_keys").paginate()
               for k in page["Keys"]}
    assert meta["KeyId"] in key_ids


def test_describe_predefined_alias_creates_the_key(fresh_server):
    # DescribeKey docs: for a predefined AWS alias with no key, KMS associates it
    # with a new AWS managed key and returns it.
    kms = make_kms(fresh_server())
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_direct_crypto_under_aws_managed_key_is_denied(kms):
    # Only calls through the service (kms:ViaService) are allowed by the policy.
    expect_error("AccessDeniedException", kms.generate_data_key, KeyId="alias/aws/ebs", KeySpec="AES_256")
    expect_error("AccessDeniedException", kms.encrypt, KeyId="alias/aws/ebs", Plaintext=b"x")


def test_aws_managed_key_rotates_yearly(kms):
    managed_key(kms)
    status = kms.get_key_rotation_status(KeyId=managed_key(kms)["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365


def test_aws_managed_key_policy_is_readable(kms):
    managed_key(kms)
    policy = kms.get_key_policy(KeyId=managed_key(kms)["KeyId"], PolicyName="default")["Policy"]
    assert policy.strip().startswith("{")


@pytest.mark.parametrize("operation,kwargs", [
    ("schedule_key_deletion", {"PendingWindowInDays": 7}),
    ("disable_key", {}),
    ("put_key_policy", {"PolicyName": "default", "Policy": '{"Version":"2012-10-17","Statement":[]}'}),
    ("disable_key_rotation", {}),
    ("update_key_description", {"Description": "mine now"}),
    ("tag_resource", {"Tags": [{"TagKey": "owner", "TagValue": "me"}]}),
])
def test_aws_managed_key_cannot_be_managed(kms, operation, kwargs):
    managed_key(kms)
    key_id = managed_key(kms)["KeyId"]
    expect_error("AccessDeniedException", getattr(kms, operation), KeyId=key_id, **kwargs)
    meta = managed_key(kms)
    assert meta["KeyState"] == "Enabled"
    assert meta["KeyId"] == key_id


def test_aws_managed_alias_cannot_be_deleted_or_moved(kms, new_key):
    managed_key(kms)
    mine = new_key()["KeyId"]
    with pytest.raises(ClientError) as info:
        kms.delete_alias(AliasName="alias/aws/ebs")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as info:
        kms.update_alias(AliasName="alias/aws/ebs", TargetKeyId=mine)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert managed_key(kms)["KeyManager"] == "AWS"
