"""Aliases (Create/Update/Delete/ListAliases) and tags (Tag/Untag/ListResourceTags)."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, expect_error, expect_validation


def alias_name(prefix="alias/t"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def aliases_of(kms, key_id):
    out = []
    marker = None
    while True:
        kwargs = {"KeyId": key_id}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_aliases(**kwargs)
        out.extend(page["Aliases"])
        if not page["Truncated"]:
            return out
        marker = page["NextMarker"]


def test_create_alias_and_list(kms, new_key, account_id):
    key = new_key()
    name = alias_name()
    assert kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    listed = aliases_of(kms, key["KeyId"])
    assert len(listed) == 1
    entry = listed[0]
    assert entry["AliasName"] == name
    assert entry["AliasArn"] == f"arn:aws:kms:{REGION}:{account_id}:{name}"
    assert entry["TargetKeyId"] == key["KeyId"]
    assert "CreationDate" in entry and "LastUpdatedDate" in entry
    everything = []
    for page in kms.get_paginator("list_aliases").paginate():
        everything.extend(page["Aliases"])
    assert name in {a["AliasName"] for a in everything}


def test_create_alias_by_key_arn(kms, new_key):
    key = new_key()
    name = alias_name()
    kms.create_alias(AliasName=name, TargetKeyId=key["Arn"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_list_aliases_by_key_arn(kms, new_key):
    key = new_key()
    name = alias_name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert [a["AliasName"] for a in aliases_of(kms, key["Arn"])] == [name]


def test_list_aliases_filters_by_key(kms, new_key):
    first, second = new_key(), new_key()
    a1, a2, b1 = alias_name(), alias_name(), alias_name()
    kms.create_alias(AliasName=a1, TargetKeyId=first["KeyId"])
    kms.create_alias(AliasName=a2, TargetKeyId=first["KeyId"])
    kms.create_alias(AliasName=b1, TargetKeyId=second["KeyId"])
    assert {a["AliasName"] for a in aliases_of(kms, first["KeyId"])} == {a1, a2}
    assert {a["AliasName"] for a in aliases_of(kms, second["KeyId"])} == {b1}


def test_list_aliases_pagination(kms, new_key):
    key = new_key()
    names = {alias_name() for _ in range(5)}
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    seen = []
    marker = None
    pages = 0
    while True:
        kwargs = {"KeyId": key["KeyId"], "Limit": 2}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_aliases(**kwargs)
        pages += 1
        assert len(page["Aliases"]) <= 2
        seen.extend(a["AliasName"] for a in page["Aliases"])
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
        assert pages < 100
    assert sorted(seen) == sorted(names)
    assert pages == 3


def test_list_aliases_bad_marker(kms):
    expect_error("InvalidMarkerException", kms.list_aliases, Marker="bogus-marker")


def test_list_aliases_of_unknown_key_is_not_found(kms):
    expect_error("NotFoundException", kms.list_aliases, KeyId=str(uuid.uuid4()))


def test_duplicate_alias_is_already_exists(kms, new_key):
    first, second = new_key(), new_key()
    name = alias_name()
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    expect_error("AlreadyExistsException", kms.create_alias, AliasName=name,
                 TargetKeyId=second["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == first["KeyId"]


def test_alias_without_prefix_is_validation_error(kms, new_key):
    # AWS: ValidationException 'Alias must start with the prefix "alias/". ...'
    key = new_key()
    err = expect_error("ValidationException", kms.create_alias, AliasName="no-prefix-" + uuid.uuid4().hex,
                       TargetKeyId=key["KeyId"])
    assert "alias/" in err.response["Error"]["Message"]


def test_alias_with_invalid_characters_is_validation_error(kms, new_key):
    key = new_key()
    expect_validation("aliasName", kms.create_alias, AliasName="alias/has space",
                      TargetKeyId=key["KeyId"])


def test_reserved_aws_alias_prefix_is_rejected(kms, new_key):
    # The alias/aws/ namespace belongs to AWS managed keys. The live service
    # refuses the caller (emulators that recorded it answer
    # NotAuthorizedException); the API reference lists InvalidAliasNameException
    # for CreateAlias. Either refusal is AWS-shaped; success or a 5xx is not.
    key = new_key()
    name = "alias/aws/mine-" + uuid.uuid4().hex[:8]
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    error = info.value.response["Error"]
    assert error["Code"] in ("NotAuthorizedException", "AccessDeniedException",
                             "InvalidAliasNameException"), error
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_aws_alias_that_is_not_predefined_is_not_found(kms):
    # Only the predefined AWS aliases (alias/aws/ebs, alias/aws/s3, ...) get an AWS
    # managed key on first use; any other alias/aws/ name does not exist.
    expect_error("NotFoundException", kms.describe_key,
                 KeyId="alias/aws/not-a-service-" + uuid.uuid4().hex[:8])


def test_alias_to_unknown_key_is_not_found(kms):
    expect_error("NotFoundException", kms.create_alias, AliasName=alias_name(),
                 TargetKeyId=str(uuid.uuid4()))


def test_alias_to_pending_deletion_key_is_invalid_state(kms, new_key):
    key = new_key()
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    expect_error("KMSInvalidStateException", kms.create_alias, AliasName=alias_name(),
                 TargetKeyId=key["KeyId"])


def test_alias_targeting_alias_is_rejected(kms, new_key):
    key = new_key()
    name = alias_name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName=alias_name(), TargetKeyId=name)
    assert info.value.response["Error"]["Code"] in ("ValidationException", "NotFoundException")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_update_alias_moves_it(kms, new_key):
    first, second = new_key(), new_key()
    name = alias_name()
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == second["KeyId"]
    assert aliases_of(kms, first["KeyId"]) == []
    assert [a["AliasName"] for a in aliases_of(kms, second["KeyId"])] == [name]
    blob = kms.encrypt(KeyId=name, Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"] == second["Arn"]


def test_update_unknown_alias_is_not_found(kms, new_key):
    key = new_key()
    expect_error("NotFoundException", kms.update_alias, AliasName=alias_name(),
                 TargetKeyId=key["KeyId"])


def test_delete_alias(kms, new_key):
    key = new_key()
    name = alias_name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    kms.delete_alias(AliasName=name)
    expect_error("NotFoundException", kms.describe_key, KeyId=name)
    assert aliases_of(kms, key["KeyId"]) == []
    expect_error("NotFoundException", kms.delete_alias, AliasName=name)
    # The name is free again.
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])


def test_tag_untag_list(kms, new_key):
    key_id = new_key()["KeyId"]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"},
                                         {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "changed"}])
    resp = kms.list_resource_tags(KeyId=key_id)
    assert resp["Truncated"] is False
    assert {t["TagKey"]: t["TagValue"] for t in resp["Tags"]} == {"a": "changed", "b": "2"}
    kms.untag_resource(KeyId=key_id, TagKeys=["a", "not-there"])
    tags = kms.list_resource_tags(KeyId=key_id)["Tags"]
    assert tags == [{"TagKey": "b", "TagValue": "2"}]


def test_tag_by_key_arn(kms, new_key):
    key = new_key()
    kms.tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "x", "TagValue": "y"}])
    assert kms.list_resource_tags(KeyId=key["Arn"])["Tags"] == [{"TagKey": "x", "TagValue": "y"}]


def test_reserved_aws_tag_prefix_is_tag_exception(kms, new_key):
    key_id = new_key()["KeyId"]
    expect_error("TagException", kms.tag_resource, KeyId=key_id,
                 Tags=[{"TagKey": "aws:owner", "TagValue": "me"}])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []


def test_create_key_with_reserved_tag_is_tag_exception(kms):
    expect_error("TagException", kms.create_key, Tags=[{"TagKey": "aws:x", "TagValue": "y"}])


def test_tag_unknown_key_is_not_found(kms):
    expect_error("NotFoundException", kms.tag_resource, KeyId=str(uuid.uuid4()),
                 Tags=[{"TagKey": "a", "TagValue": "b"}])


def test_tag_key_too_long_is_validation_error(kms, new_key):
    key_id = new_key()["KeyId"]
    expect_validation("tagKey", kms.tag_resource, KeyId=key_id,
                      Tags=[{"TagKey": "k" * 129, "TagValue": "v"}])


RESERVED_SPELLINGS = ["aws:team", "AWS:team", "Aws:team", "aWs:team", "awS:team"]


@pytest.mark.parametrize("tag_key", RESERVED_SPELLINGS)
def test_reserved_prefix_in_any_letter_case_is_tag_exception(kms, new_key, tag_key):
    # Issue 20: AWS reserves aws: in every letter case.
    key_id = new_key()["KeyId"]
    expect_error("TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": tag_key, "TagValue": "x"}])
    expect_error("TagException", kms.create_key, Tags=[{"TagKey": tag_key, "TagValue": "x"}])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []


def test_aws_cli_tag_resource_with_upper_case_prefix_fails(aws_cli, kms, new_key):
    key_id = new_key()["KeyId"]
    out = aws_cli("kms", "tag-resource", "--key-id", key_id, "--tags", "TagKey=AWS:team,TagValue=x", check=False)
    assert out.returncode != 0
    assert "TagException" in out.stderr
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []


@pytest.mark.parametrize("tag_key", RESERVED_SPELLINGS)
def test_iam_tag_user_with_reserved_prefix_is_invalid_input(server, tag_key):
    from conftest import boto_session
    from botocore.config import Config
    iam = boto_session().client("iam", region_name="us-east-1", endpoint_url=server.endpoint,
                                aws_access_key_id=server.creds.access_key_id,
                                aws_secret_access_key=server.creds.secret_access_key,
                                config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    name = "tagged-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as info:
        iam.tag_user(UserName=name, Tags=[{"Key": tag_key, "Value": "x"}])
    assert info.value.response["Error"]["Code"] == "InvalidInput"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "x"}])  # an ordinary key still works
