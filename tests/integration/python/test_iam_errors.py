"""Every rejecting check of the IAM/STS Query front and the grant operations,
fed exactly the bad input, expecting IAM's error shape (code + HTTP status)."""

import json
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, boto_session, expect_error


def client(server, service):
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)
    return boto_session().client(service, region_name=REGION, endpoint_url=server.endpoint,
                                 aws_access_key_id=server.creds.access_key_id,
                                 aws_secret_access_key=server.creds.secret_access_key, config=cfg)


def expect_query_error(code, status, fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert err["Error"]["Code"] == code, err["Error"]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    return err["Error"].get("Message", "")


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]})


def test_iam_rejects_bad_input(server):
    iam = client(server, "iam")
    name = "u-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    msg = expect_query_error("EntityAlreadyExists", 409, iam.create_user, UserName=name)
    assert name in msg
    msg = expect_query_error("ValidationError", 400, iam.create_user, UserName="")
    assert "userName" in msg
    expect_query_error("ValidationError", 400, iam.create_user, UserName="bad name!")
    expect_query_error("NoSuchEntity", 404, iam.put_user_policy, UserName="nobody-" + name, PolicyName="p",
                       PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:" + "x" * 50 + str(i) for i in range(60)], "Resource": "*"}]})
    expect_query_error("LimitExceeded", 409, iam.put_user_policy, UserName=name, PolicyName="big", PolicyDocument=big)
    expect_query_error("MalformedPolicyDocument", 400, iam.put_user_policy, UserName=name, PolicyName="p",
                       PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}))
    expect_query_error("NoSuchEntity", 404, iam.get_user_policy, UserName=name, PolicyName="none")
    expect_query_error("NoSuchEntity", 404, iam.delete_user_policy, UserName=name, PolicyName="none")
    expect_query_error("ValidationError", 400, iam.update_access_key, UserName=name, AccessKeyId="AKIAXXXX",
                       Status="Paused")
    expect_query_error("NoSuchEntity", 404, iam.update_access_key, UserName=name, AccessKeyId="AKIANOSUCHKEY0000",
                       Status="Inactive")
    expect_query_error("NoSuchEntity", 404, iam.delete_access_key, UserName=name, AccessKeyId="AKIANOSUCHKEY0000")
    expect_query_error("NoSuchEntity", 404, iam.attach_user_policy, UserName=name,
                       PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    expect_query_error("NoSuchEntity", 404, iam.detach_user_policy, UserName=name,
                       PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    group = "g-" + uuid.uuid4().hex[:8]
    iam.create_group(GroupName=group)
    expect_query_error("EntityAlreadyExists", 409, iam.create_group, GroupName=group)
    expect_query_error("NoSuchEntity", 404, iam.add_user_to_group, GroupName="nogroup-" + group, UserName=name)
    expect_query_error("NoSuchEntity", 404, iam.add_user_to_group, GroupName=group, UserName="nobody-" + name)
    expect_query_error("NoSuchEntity", 404, iam.tag_user, UserName="nobody-" + name, Tags=[{"Key": "a", "Value": "b"}])
    pol = "p-" + uuid.uuid4().hex[:8]
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    iam.create_policy(PolicyName=pol, PolicyDocument=doc)
    expect_query_error("EntityAlreadyExists", 409, iam.create_policy, PolicyName=pol, PolicyDocument=doc)


def test_roles_reject_bad_input(server):
    iam = client(server, "iam")
    role = "r-" + uuid.uuid4().hex[:8]
    expect_query_error("ValidationError", 400, iam.create_role, RoleName="bad role", AssumeRolePolicyDocument=TRUST)
    expect_query_error("MalformedPolicyDocument", 400, iam.create_role, RoleName=role,
                       AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    expect_query_error("EntityAlreadyExists", 409, iam.create_role, RoleName=role, AssumeRolePolicyDocument=TRUST)
    expect_query_error("NoSuchEntity", 404, iam.get_role, RoleName="none-" + role)
    expect_query_error("NoSuchEntity", 404, iam.get_role_policy, RoleName=role, PolicyName="none")
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}))
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]
    expect_query_error("DeleteConflict", 409, iam.delete_role, RoleName=role)
    iam.delete_role_policy(RoleName=role, PolicyName="p")
    iam.delete_role(RoleName=role)
    expect_query_error("NoSuchEntity", 404, iam.delete_role, RoleName=role)


def test_sts_rejects_bad_input(server):
    sts = client(server, "sts")
    iam = client(server, "iam")
    role = "r-" + uuid.uuid4().hex[:8]
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": server.creds.account_id}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    expect_query_error("ValidationError", 400, sts.assume_role, RoleArn=arn, RoleSessionName="x")
    expect_query_error("ValidationError", 400, sts.assume_role, RoleArn=arn, RoleSessionName="bad name")
    expect_query_error("ValidationError", 400, sts.assume_role, RoleArn=arn, RoleSessionName="ok", DurationSeconds=43201)
    expect_query_error("ValidationError", 400, sts.assume_role, RoleArn="not-an-arn", RoleSessionName="ok")
    expect_query_error("AccessDenied", 403, sts.assume_role, RoleArn=arn + "-missing", RoleSessionName="ok")
    expect_query_error("ValidationError", 400, sts.get_session_token, DurationSeconds=129601)
    c = sts.assume_role(RoleArn=arn, RoleSessionName="ok")["Credentials"]
    session_sts = boto_session().client("sts", region_name=REGION, endpoint_url=server.endpoint,
                                        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                        aws_session_token=c["SessionToken"])
    msg = expect_query_error("AccessDenied", 403, session_sts.get_session_token)
    assert "session credentials" in msg
    no_token = boto_session().client("sts", region_name=REGION, endpoint_url=server.endpoint,
                                     aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"])
    expect_query_error("InvalidClientTokenId", 403, no_token.get_caller_identity)


def test_simulation_rejects_bad_input(server):
    iam = client(server, "iam")
    expect_query_error("ValidationError", 400, iam.simulate_custom_policy, PolicyInputList=[],
                       ActionNames=["kms:Encrypt"])
    expect_query_error("NoSuchEntity", 404, iam.simulate_principal_policy,
                       PolicySourceArn="arn:aws:iam::999999999999:user/x", ActionNames=["kms:Encrypt"])
    expect_query_error("MalformedPolicyDocument", 400, iam.simulate_custom_policy, PolicyInputList=["{"],
                       ActionNames=["kms:Encrypt"])


def test_grants_reject_bad_input(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = "arn:aws:iam::111122223333:user/x"
    expect_error("ValidationException", kms.create_grant, KeyId=key_id, GranteePrincipal=grantee, Operations=[])
    expect_error("InvalidGrantTokenException", kms.create_grant, KeyId=key_id, GranteePrincipal=grantee,
                 Operations=["Encrypt"], GrantTokens=["cgt1.bogus"])
    expect_error("ValidationException", kms.retire_grant)
    expect_error("NotFoundException", kms.retire_grant, KeyId=key_id, GrantId="0" * 64)
    expect_error("NotFoundException", kms.revoke_grant, KeyId=key_id, GrantId="0" * 64)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    expect_error("KMSInvalidStateException", kms.create_grant, KeyId=key_id, GranteePrincipal=grantee,
                 Operations=["Encrypt"])
