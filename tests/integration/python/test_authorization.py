"""Authorization as AWS KMS decides it: key policies with conditions, IAM
identity policies for non-admin users (created through the IAM Query API),
cross-account use, the lockout safety check, inactive access keys, and STS
GetCallerIdentity. Expected behaviour is the AWS KMS / IAM documentation."""

import json
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, Credentials, boto_session, error_message, expect_error, make_kms


def make_client(server, service, creds):
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)
    return boto_session().client(
        service, region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=cfg, verify=False if server.endpoint.startswith("https") else None)


def root_policy(account, *extra):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        *extra]})


@pytest.fixture(scope="module")
def iam(server):
    return make_client(server, "iam", server.creds)


@pytest.fixture(scope="module")
def alice(server, iam):
    """A user made through IAM: no policies, so no KMS permission yet."""
    name = "alice-" + uuid.uuid4().hex[:8]
    user = iam.create_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::{server.creds.account_id}:user/{name}"
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, Credentials(key["AccessKeyId"], key["SecretAccessKey"], server.creds.account_id)


def test_sts_get_caller_identity(server):
    sts = make_client(server, "sts", server.creds)
    me = sts.get_caller_identity()
    assert me["Account"] == server.creds.account_id
    assert me["Arn"] == f"arn:aws:iam::{server.creds.account_id}:user/admin"


def test_aws_cli_get_caller_identity(aws_cli, server):
    out = aws_cli("sts", "get-caller-identity")
    assert out["Account"] == server.creds.account_id


def test_non_admin_user_needs_an_identity_policy(server, iam, alice):
    name, creds = alice
    kms_alice = make_kms(server, creds=creds)
    err = expect_error("AccessDeniedException", kms_alice.create_key)
    assert f"user/{name} is not authorized to perform: kms:CreateKey" in error_message(err)
    key_id = make_kms(server).create_key()["KeyMetadata"]["KeyId"]
    err = expect_error("AccessDeniedException", kms_alice.encrypt, KeyId=key_id, Plaintext=b"x")
    assert "because no identity-based policy allows the kms:Encrypt action" in error_message(err)
    iam.put_user_policy(UserName=name, PolicyName="use-keys", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}))
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["use-keys"]
    got = iam.get_user_policy(UserName=name, PolicyName="use-keys")["PolicyDocument"]
    assert got["Statement"][0]["Action"] == ["kms:Encrypt", "kms:Decrypt"]
    blob = kms_alice.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert kms_alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    expect_error("AccessDeniedException", kms_alice.disable_key, KeyId=key_id)
    expect_error("AccessDeniedException", kms_alice.create_key)


def test_non_admin_user_cannot_call_iam(server, alice):
    iam_alice = make_client(server, "iam", alice[1])
    with pytest.raises(ClientError) as info:
        iam_alice.create_user(UserName="mallory")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_key_policy_naming_the_user_is_enough(server, alice):
    name, creds = alice
    kms = make_kms(server)
    account = server.creds.account_id
    policy = root_policy(account, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/{name}"},
                                   "Action": "kms:GenerateDataKey", "Resource": "*"})
    key_id = kms.create_key(Policy=policy)["KeyMetadata"]["KeyId"]
    out = make_kms(server, creds=creds).generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(out["Plaintext"]) == 32


def test_key_policy_denies_encrypt_without_department_context(kms, account_id):
    deny = {"Sid": "RequireDepartment", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:EncryptionContext:department": "finance"}}}
    key_id = kms.create_key(Policy=root_policy(account_id, deny))["KeyMetadata"]["KeyId"]
    err = expect_error("AccessDeniedException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    assert "with an explicit deny in a resource-based policy" in error_message(err)
    expect_error("AccessDeniedException", kms.encrypt, KeyId=key_id, Plaintext=b"x",
                 EncryptionContext={"department": "hr"})
    out = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"department": "finance"})
    assert out["KeyId"].endswith(key_id)


SECURE_TRANSPORT_DENY = {"Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "kms:*",
                         "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_secure_transport_deny_over_plain_http(kms, account_id):
    key_id = kms.create_key(Policy=root_policy(account_id, SECURE_TRANSPORT_DENY),
                            BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
    expect_error("AccessDeniedException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("AccessDeniedException", kms.describe_key, KeyId=key_id)


def test_secure_transport_allows_over_tls(fresh_server):
    srv = fresh_server(tls=True)
    kms = make_kms(srv)
    key_id = kms.create_key(Policy=root_policy(srv.creds.account_id, SECURE_TRANSPORT_DENY))["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"tls")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"tls"


def test_put_key_policy_lockout_check(kms, new_key, account_id):
    key_id = new_key()["KeyId"]
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:user/nobody"},
                                                     "Action": "kms:*", "Resource": "*"}]}
    err = expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id, PolicyName="default",
                       Policy=json.dumps(other))
    assert "will not allow you to update the key policy in the future" in error_message(err)
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(other),
                       BypassPolicyLockoutSafetyCheck=True)
    expect_error("AccessDeniedException", kms.encrypt, KeyId=key_id, Plaintext=b"x")


def test_malformed_key_policy_names_the_problem(kms, new_key):
    key_id = new_key()["KeyId"]
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "bob"},
                                                   "Action": "kms:*", "Resource": "*"}]}
    err = expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id,
                       PolicyName="default", Policy=json.dumps(bad))
    assert "invalid principals" in error_message(err)


@pytest.fixture(scope="module")
def account_b(server):
    account = server.admin("create-account")["AccountId"]
    server.admin("create-user", "--account-id", account, "--user-name", "bob")
    key = server.admin("create-access-key", "--account-id", account, "--user-name", "bob")
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account)


def test_cross_account_allowed_by_key_policy(server, kms, account_id, account_b):
    share = {"Sid": "ShareWithB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_b.account_id}:root"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
    meta = kms.create_key(Policy=root_policy(account_id, share))["KeyMetadata"]
    kms_b = make_kms(server, creds=account_b)
    blob = kms_b.encrypt(KeyId=meta["Arn"], Plaintext=b"shared")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    assert kms_b.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    assert kms_b.describe_key(KeyId=meta["Arn"])["KeyMetadata"]["KeyId"] == meta["KeyId"]
    # Management stays with the owner; aliases of another account never resolve.
    expect_error("AccessDeniedException", kms_b.disable_key, KeyId=meta["Arn"])
    kms.create_alias(AliasName="alias/shared-" + meta["KeyId"][:8], TargetKeyId=meta["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{account_id}:alias/shared-{meta['KeyId'][:8]}"
    expect_error("NotFoundException", kms_b.encrypt, KeyId=alias_arn, Plaintext=b"x")


def test_cross_account_denied_without_key_policy(server, kms, account_b):
    meta = kms.create_key()["KeyMetadata"]
    kms_b = make_kms(server, creds=account_b)
    err = expect_error("AccessDeniedException", kms_b.encrypt, KeyId=meta["Arn"], Plaintext=b"x")
    assert "because no resource-based policy allows the kms:Encrypt action" in error_message(err)


def test_inactive_access_key_is_rejected(server, iam):
    name = "carol-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], server.creds.account_id)
    sts = make_client(server, "sts", creds)
    assert sts.get_caller_identity()["Arn"].endswith(f"user/{name}")
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["Status"] for k in listed] == ["Inactive"]
    with pytest.raises(ClientError) as info:
        sts.get_caller_identity()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    expect_error("UnrecognizedClientException", make_kms(server, creds=creds).list_keys)


def test_iam_errors_in_iam_shapes(iam):
    with pytest.raises(ClientError) as info:
        iam.get_user(UserName="no-such-user-" + uuid.uuid4().hex[:6])
    assert info.value.response["Error"]["Code"] == "NoSuchEntity"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as info:
        iam.put_user_policy(UserName="admin", PolicyName="p", PolicyDocument='{"Statement": 1}')
    assert info.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_role_assumed_via_sts_uses_a_key(server, iam, kms, account_id):
    role_name = "app-" + uuid.uuid4().hex[:8]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account_id}:role/{role_name}"
    iam.put_role_policy(RoleName=role_name, PolicyName="encrypt-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}))
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    sts = make_client(server, "sts", server.creds)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="job-1", DurationSeconds=900)
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/{role_name}/job-1"
    session = boto_session()
    kms_role = session.client("kms", region_name=REGION, endpoint_url=server.endpoint,
                              aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                              aws_session_token=c["SessionToken"],
                              config=Config(retries={"max_attempts": 1}))
    blob = kms_role.encrypt(KeyId=key_id, Plaintext=b"from the role")["CiphertextBlob"]
    err = expect_error("AccessDeniedException", kms_role.decrypt, CiphertextBlob=blob)
    assert f"assumed-role/{role_name}/job-1 is not authorized to perform: kms:Decrypt" in error_message(err)
    sts_role = session.client("sts", region_name=REGION, endpoint_url=server.endpoint,
                              aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                              aws_session_token=c["SessionToken"])
    assert sts_role.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    # A wrong session token is refused.
    bad = session.client("kms", region_name=REGION, endpoint_url=server.endpoint,
                         aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"][:-2] + "xx", config=Config(retries={"max_attempts": 1}))
    expect_error("UnrecognizedClientException", bad.encrypt, KeyId=key_id, Plaintext=b"x")


def test_assume_role_needs_the_trust_policy(server, iam, alice, account_id):
    role_name = "locked-" + uuid.uuid4().hex[:8]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:user/admin"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    with pytest.raises(ClientError) as info:
        make_client(server, "sts", alice[1]).assume_role(RoleArn=arn, RoleSessionName="s1")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as info:
        make_client(server, "sts", server.creds).assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=899)
    assert info.value.response["Error"]["Code"] == "ValidationError"


def test_get_session_token_credentials_work(server, kms):
    c = make_client(server, "sts", server.creds).get_session_token(DurationSeconds=900)["Credentials"]
    client = boto_session().client("kms", region_name=REGION, endpoint_url=server.endpoint,
                                   aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                   aws_session_token=c["SessionToken"])
    assert "Keys" in client.list_keys()


def test_aws_cli_assume_role(aws_cli, server, iam, account_id):
    role_name = "cli-" + uuid.uuid4().hex[:8]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": account_id}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    out = aws_cli("sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_grant_with_encryption_context_subset(server, kms, alice):
    name, creds = alice
    account = server.creds.account_id
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = f"arn:aws:iam::{account}:user/{name}"
    kms_alice = make_kms(server, creds=creds)
    # alice's identity policy (from the earlier test) may allow Encrypt; use GenerateDataKey, which only the grant gives.
    expect_error("AccessDeniedException", kms_alice.generate_data_key, KeyId=key_id, KeySpec="AES_256",
                 EncryptionContext={"project": "apollo"})
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["GenerateDataKey", "Decrypt"],
                             Constraints={"EncryptionContextSubset": {"project": "apollo"}}, Name="apollo")
    again = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["GenerateDataKey", "Decrypt"],
                             Constraints={"EncryptionContextSubset": {"project": "apollo"}}, Name="apollo")
    assert again["GrantId"] == grant["GrantId"], "Name makes CreateGrant idempotent"
    out = kms_alice.generate_data_key(KeyId=key_id, KeySpec="AES_256", GrantTokens=[grant["GrantToken"]],
                                      EncryptionContext={"project": "apollo", "stage": "prod"})
    assert len(out["Plaintext"]) == 32
    expect_error("AccessDeniedException", kms_alice.generate_data_key, KeyId=key_id, KeySpec="AES_256",
                 EncryptionContext={"project": "gemini"})
    expect_error("AccessDeniedException", kms_alice.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    grants = kms.list_grants(KeyId=key_id)["Grants"]
    assert [g["GrantId"] for g in grants] == [grant["GrantId"]]
    assert grants[0]["Constraints"] == {"EncryptionContextSubset": {"project": "apollo"}}
    assert grants[0]["GranteePrincipal"] == grantee
    expect_error("InvalidGrantTokenException", kms.retire_grant, GrantToken="not-a-token")
    kms.revoke_grant(KeyId=key_id, GrantId=grant["GrantId"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    expect_error("AccessDeniedException", kms_alice.generate_data_key, KeyId=key_id, KeySpec="AES_256",
                 EncryptionContext={"project": "apollo"})
    expect_error("NotFoundException", kms.revoke_grant, KeyId=key_id, GrantId=grant["GrantId"])


def test_retire_grant_by_retiring_principal(server, kms, alice):
    name, creds = alice
    account = server.creds.account_id
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    me = f"arn:aws:iam::{account}:user/{name}"
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=me, RetiringPrincipal=me, Operations=["Encrypt"])
    retirable = kms.list_retirable_grants(RetiringPrincipal=me)["Grants"]
    assert grant["GrantId"] in [g["GrantId"] for g in retirable]
    make_kms(server, creds=creds).retire_grant(GrantToken=grant["GrantToken"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    expect_error("ValidationException", kms.create_grant, KeyId=key_id, GranteePrincipal=me,
                 Operations=["DescribeKey"], Constraints={"EncryptionContextEquals": {"a": "b"}})


def test_managed_and_group_policies_apply(server, iam, kms):
    account = server.creds.account_id
    name = "dave-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], account)
    kms_dave = make_kms(server, creds=creds)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("AccessDeniedException", kms_dave.describe_key, KeyId=key_id)

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}
    policy = iam.create_policy(PolicyName="describe-" + name, PolicyDocument=json.dumps(doc))["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{account}:policy/describe-{name}"
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [policy["Arn"]]
    assert kms_dave.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    iam.detach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    expect_error("AccessDeniedException", kms_dave.describe_key, KeyId=key_id)

    group = "crypto-" + uuid.uuid4().hex[:8]
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="enc", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}))
    expect_error("AccessDeniedException", kms_dave.encrypt, KeyId=key_id, Plaintext=b"x")
    iam.add_user_to_group(GroupName=group, UserName=name)
    kms_dave.encrypt(KeyId=key_id, Plaintext=b"x")

    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert kms_dave.create_key()["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "crypto"}])

    with pytest.raises(ClientError) as info:
        iam.delete_user(UserName=name)
    assert info.value.response["Error"]["Code"] == "DeleteConflict"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_delete_access_key_and_user(server, iam):
    name = "erin-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], server.creds.account_id)
    assert make_client(server, "sts", creds).get_caller_identity()["Arn"].endswith(name)
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as info:
        make_client(server, "sts", creds).get_caller_identity()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as info:
        iam.get_user(UserName=name)
    assert info.value.response["Error"]["Code"] == "NoSuchEntity"


def test_create_key_lockout_check(kms, account_id):
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:user/nobody"},
                                                     "Action": "kms:*", "Resource": "*"}]}
    err = expect_error("MalformedPolicyDocumentException", kms.create_key, Policy=json.dumps(other))
    assert "will not allow you to update the key policy in the future" in error_message(err)
    meta = kms.create_key(Policy=json.dumps(other), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    expect_error("AccessDeniedException", kms.describe_key, KeyId=meta["KeyId"])


def test_import_operations_are_authorized_before_the_key_is_examined(server, alice):
    # Issue 17, item 2: a caller without permission learns nothing about the key
    # (not its origin, not its state) and gets no wrapping key.
    name, creds = alice
    kms = make_kms(server)
    kms_alice = make_kms(server, creds=creds)
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    generated = kms.create_key()["KeyMetadata"]["KeyId"]
    for key_id in (external, generated):
        err = expect_error("AccessDeniedException", kms_alice.get_parameters_for_import, KeyId=key_id,
                           WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_4096")
        assert "kms:GetParametersForImport" in error_message(err)
    expect_error("AccessDeniedException", kms_alice.import_key_material, KeyId=external,
                 ImportToken=b"t" * 32, EncryptedKeyMaterial=b"m" * 32,
                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    expect_error("AccessDeniedException", kms_alice.delete_imported_key_material, KeyId=external)
    # The owner gets parameters, and the wrong origin is named to the owner only.
    assert kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                         WrappingKeySpec="RSA_2048")["PublicKey"]
    expect_error("UnsupportedOperationException", kms.get_parameters_for_import, KeyId=generated,
                 WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")


def test_rotate_key_on_demand_of_an_aws_managed_key_is_access_denied(server):
    kms = make_kms(server)
    key_id = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyId"]
    err = expect_error("AccessDeniedException", kms.rotate_key_on_demand, KeyId=key_id)
    assert "kms:RotateKeyOnDemand" in error_message(err)


def test_get_key_last_usage_reports_the_last_cryptographic_use(server):
    kms = make_kms(server)
    key = kms.create_key()["KeyMetadata"]
    unused = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert unused["KeyId"] == key["KeyId"]
    assert not unused.get("KeyLastUsage")
    assert unused["TrackingStartDate"] >= unused["KeyCreationDate"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    signed = kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    request_id = signed["ResponseMetadata"]["RequestId"]
    kms.describe_key(KeyId=key["KeyId"])  # not a cryptographic use
    last = kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    assert last["Operation"] == "GenerateDataKey"
    assert last["KmsRequestId"] == request_id
    assert last["CloudTrailEventId"]
    trail = boto_session().client(
        "cloudtrail", region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=server.creds.access_key_id, aws_secret_access_key=server.creds.secret_access_key)
    events = trail.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventId", "AttributeValue": last["CloudTrailEventId"]}])["Events"]
    assert [e["EventName"] for e in events] == ["GenerateDataKey"]


def test_get_key_last_usage_survives_a_restart(fresh_server):
    srv = fresh_server()
    kms = make_kms(srv)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    assert srv.stop() == 0
    srv.start()
    last = make_kms(srv).get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
    assert last["Operation"] == "Decrypt"


def test_get_key_last_usage_needs_permission(server, alice):
    key_id = make_kms(server).create_key()["KeyMetadata"]["KeyId"]
    expect_error("AccessDeniedException", make_kms(server, creds=alice[1]).get_key_last_usage, KeyId=key_id)
