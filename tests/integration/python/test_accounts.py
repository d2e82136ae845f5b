"""Isolation between accounts (admin CLI) and between regions."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, Credentials, expect_error, make_kms


@pytest.fixture(scope="module")
def second_account(server):
    account = server.admin("create-account")
    account_id = account["AccountId"]
    assert account_id != server.creds.account_id
    assert len(account_id) == 12 and account_id.isdigit()
    user = server.admin("create-user", "--account-id", account_id, "--user-name", "bob")
    assert user["Arn"] == f"arn:aws:iam::{account_id}:user/bob"
    key = server.admin("create-access-key", "--account-id", account_id, "--user-name", "bob")
    assert key["AccessKeyId"] and key["SecretAccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id)


@pytest.fixture(scope="module")
def kms_b(server, second_account):
    return make_kms(server, creds=second_account)


def all_key_ids(client):
    return {k["KeyId"] for page in client.get_paginator("list_keys").paginate()
            for k in page["Keys"]}


def test_admin_lists_show_new_account_user_and_key(server, second_account):
    accounts = server.admin("list-accounts")
    assert second_account.account_id in str(accounts)
    assert server.creds.account_id in str(accounts)
    users = server.admin("list-users", "--account-id", second_account.account_id)
    assert "bob" in str(users)
    keys = server.admin("list-access-keys", "--account-id", second_account.account_id,
                        "--user-name", "bob")
    assert second_account.access_key_id in str(keys)
    assert second_account.secret_access_key not in str(keys), "secret key listed"


def test_second_account_works_with_its_own_keys(kms_b, second_account):
    meta = kms_b.create_key(Description="bob's key")["KeyMetadata"]
    assert meta["AWSAccountId"] == second_account.account_id
    assert f":{second_account.account_id}:key/" in meta["Arn"]
    blob = kms_b.encrypt(KeyId=meta["KeyId"], Plaintext=b"bob")["CiphertextBlob"]
    assert kms_b.decrypt(CiphertextBlob=blob)["Plaintext"] == b"bob"


def test_list_keys_shows_only_own_account(kms, kms_b):
    mine = kms.create_key()["KeyMetadata"]["KeyId"]
    theirs = kms_b.create_key()["KeyMetadata"]["KeyId"]
    keys_a = all_key_ids(kms)
    keys_b = all_key_ids(kms_b)
    assert mine in keys_a and mine not in keys_b
    assert theirs in keys_b and theirs not in keys_a


def expect_cross_account_refusal(fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    code = info.value.response["Error"]["Code"]
    assert code in ("AccessDeniedException", "NotFoundException"), info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_other_accounts_key_is_not_usable(kms, kms_b):
    meta = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"a's secret")["CiphertextBlob"]
    expect_error("NotFoundException", kms_b.describe_key, KeyId=meta["KeyId"])
    expect_cross_account_refusal(kms_b.describe_key, KeyId=meta["Arn"])
    expect_cross_account_refusal(kms_b.encrypt, KeyId=meta["Arn"], Plaintext=b"x")
    expect_cross_account_refusal(kms_b.disable_key, KeyId=meta["Arn"])
    expect_cross_account_refusal(kms_b.schedule_key_deletion, KeyId=meta["Arn"])
    with pytest.raises(ClientError) as info:
        kms_b.decrypt(CiphertextBlob=blob)
    assert info.value.response["Error"]["Code"] in (
        "AccessDeniedException", "NotFoundException", "InvalidCiphertextException")
    # Nothing B tried changed A's key.
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_other_accounts_alias_is_not_resolvable(kms, kms_b, server):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"alias/shared-name-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=name, TargetKeyId=key_id)
    expect_error("NotFoundException", kms_b.describe_key, KeyId=name)
    alias_arn = f"arn:aws:kms:{REGION}:{server.creds.account_id}:{name}"
    expect_cross_account_refusal(kms_b.describe_key, KeyId=alias_arn)
    expect_cross_account_refusal(kms_b.encrypt, KeyId=alias_arn, Plaintext=b"x")
    # The same alias name is free in B's namespace.
    b_key = kms_b.create_key()["KeyMetadata"]["KeyId"]
    kms_b.create_alias(AliasName=name, TargetKeyId=b_key)
    assert kms_b.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == b_key
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key_id


def test_keys_belong_to_the_region_of_the_request(server, kms):
    west = make_kms(server, region="us-west-2")
    meta = west.create_key()["KeyMetadata"]
    assert meta["Arn"].startswith(f"arn:aws:kms:us-west-2:{server.creds.account_id}:key/")
    assert west.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Arn"] == meta["Arn"]
    expect_error("NotFoundException", kms.describe_key, KeyId=meta["KeyId"])
    expect_error("NotFoundException", kms.describe_key, KeyId=meta["Arn"])
    assert meta["KeyId"] not in all_key_ids(kms)
    assert meta["KeyId"] in all_key_ids(west)
    east_key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert east_key not in all_key_ids(west)


def test_alias_names_are_per_region(server, kms):
    west = make_kms(server, region="us-west-2")
    name = f"alias/regional-{uuid.uuid4().hex[:10]}"
    east_key = kms.create_key()["KeyMetadata"]["KeyId"]
    west_key = west.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=name, TargetKeyId=east_key)
    west.create_alias(AliasName=name, TargetKeyId=west_key)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == east_key
    assert west.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == west_key


def test_first_start_prints_the_credentials_path_never_the_secret(fresh_server):
    # Issue 17, item 4: stdout is a log; the secret access key stays in the 0600 file.
    srv = fresh_server()
    log = srv.log_path.read_text(errors="replace")
    assert srv.creds.secret_access_key not in log
    assert srv.creds.access_key_id in log
    assert str(srv.credentials_file.resolve()) in log
    assert (srv.credentials_file.stat().st_mode & 0o777) == 0o600
