"""kms:ResourceAliases, the aliases pointing at the key a request uses
(multi-valued; AWS KMS developer guide, "Use aliases to control access to KMS
keys"): a user whose IAM policy allows keys only through an alias/finance-*
alias gains and loses a key as aliases are created, moved and deleted. The
server's decision cache must follow each change on the very next request."""

import json
import uuid

from conftest import REGION, Credentials, boto_session, expect_error
from botocore.config import Config


def client(server, service, creds):
    return boto_session().client(
        service, region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}))


def user_with_policy(server, iam, policy):
    name = "fin-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="by-alias", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, Credentials(key["AccessKeyId"], key["SecretAccessKey"], server.creds.account_id)


def test_iam_policy_allows_keys_only_through_their_aliases(server, kms):
    iam = client(server, "iam", server.creds)
    name, creds = user_with_policy(server, iam, {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
        "Condition": {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/finance-*"}}}]})
    user_kms = client(server, "kms", creds)
    suffix = uuid.uuid4().hex[:8]
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]

    err = expect_error("AccessDeniedException", user_kms.encrypt, KeyId=key, Plaintext=b"x")
    assert f"user/{name} is not authorized to perform: kms:Encrypt" in err.response["Error"]["Message"]
    kms.create_alias(AliasName=f"alias/hr-{suffix}", TargetKeyId=key)
    expect_error("AccessDeniedException", user_kms.encrypt, KeyId=key, Plaintext=b"x")

    kms.create_alias(AliasName=f"alias/finance-{suffix}", TargetKeyId=key)
    blob = user_kms.encrypt(KeyId=key, Plaintext=b"ledger")["CiphertextBlob"]
    assert user_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"ledger"  # allowed twice: now cached

    kms.update_alias(AliasName=f"alias/finance-{suffix}", TargetKeyId=other)
    expect_error("AccessDeniedException", user_kms.decrypt, CiphertextBlob=blob)
    expect_error("AccessDeniedException", user_kms.encrypt, KeyId=key, Plaintext=b"x")
    assert user_kms.encrypt(KeyId=other, Plaintext=b"x")["KeyId"].endswith(other)

    kms.delete_alias(AliasName=f"alias/finance-{suffix}")
    expect_error("AccessDeniedException", user_kms.encrypt, KeyId=other, Plaintext=b"x")


def test_key_policy_denies_keys_outside_an_alias_family(server, kms, account_id):
    """A key policy Deny with ForAllValues: every alias must be team-*."""
    root = f"arn:aws:iam::{account_id}:root"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"ForAnyValue:StringNotLike": {"kms:ResourceAliases": "alias/team-*"}}}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    suffix = uuid.uuid4().hex[:8]
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"].endswith(key)  # no aliases: nothing to deny
    kms.create_alias(AliasName=f"alias/team-{suffix}", TargetKeyId=key)
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"].endswith(key)
    kms.create_alias(AliasName=f"alias/stray-{suffix}", TargetKeyId=key)
    err = expect_error("AccessDeniedException", kms.encrypt, KeyId=key, Plaintext=b"x")
    assert "with an explicit deny in a resource-based policy" in err.response["Error"]["Message"]
    kms.delete_alias(AliasName=f"alias/stray-{suffix}")
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"].endswith(key)
