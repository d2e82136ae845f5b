"""Explainability: IAM SimulatePrincipalPolicy / SimulateCustomPolicy over the
Query API, and `coffer policy simulate` printing the decision and why."""

import json
import subprocess
import uuid

from botocore.config import Config

from conftest import COFFER_BIN, REGION, boto_session


def iam_client(server):
    return boto_session().client(
        "iam", region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=server.creds.access_key_id, aws_secret_access_key=server.creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}))


def simulate_cli(server, *args):
    return subprocess.run([COFFER_BIN, "policy", "simulate", "--data-dir", str(server.data_dir), *args],
                          capture_output=True, text=True, timeout=60)


ENCRYPT_FINANCE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "EncryptFinance", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
     "Condition": {"StringEquals": {"kms:EncryptionContext:department": "finance"}}},
    {"Sid": "NoDisable", "Effect": "Deny", "Action": "kms:DisableKey", "Resource": "*"}]}


def test_simulate_custom_policy(server):
    iam = iam_client(server)
    results = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(ENCRYPT_FINANCE)], ActionNames=["kms:Encrypt", "kms:DisableKey", "kms:Decrypt"],
        ContextEntries=[{"ContextKeyName": "kms:EncryptionContext:department", "ContextKeyValues": ["finance"],
                         "ContextKeyType": "string"}])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {"kms:Encrypt": "allowed", "kms:DisableKey": "explicitDeny", "kms:Decrypt": "implicitDeny"}
    encrypt = next(r for r in results if r["EvalActionName"] == "kms:Encrypt")
    assert encrypt["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    wrong = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(ENCRYPT_FINANCE)], ActionNames=["kms:Encrypt"],
        ContextEntries=[{"ContextKeyName": "kms:EncryptionContext:department", "ContextKeyValues": ["hr"],
                         "ContextKeyType": "string"}])["EvaluationResults"]
    assert wrong[0]["EvalDecision"] == "implicitDeny"
    assert wrong[0]["MatchedStatements"] == []


def test_simulate_principal_policy_uses_the_users_policies(server):
    iam = iam_client(server)
    name = "sim-" + uuid.uuid4().hex[:8]
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="finance", PolicyDocument=json.dumps(ENCRYPT_FINANCE))
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["kms:Encrypt", "kms:CreateKey"],
        ContextEntries=[{"ContextKeyName": "kms:EncryptionContext:department", "ContextKeyValues": ["finance"],
                         "ContextKeyType": "string"}])["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in results} == {
        "kms:Encrypt": "allowed", "kms:CreateKey": "implicitDeny"}
    admin = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{server.creds.account_id}:user/admin",
                                          ActionNames=["kms:CreateKey"])["EvaluationResults"]
    assert admin[0]["EvalDecision"] == "allowed"


def test_coffer_policy_simulate_explains_a_key_policy(server, kms, account_id):
    deny = {"Sid": "RequireDepartment", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:EncryptionContext:department": "finance"}}}
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"}, deny]}
    arn = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    admin = f"arn:aws:iam::{account_id}:user/admin"
    out = simulate_cli(server, "--principal", admin, "--action", "kms:Encrypt", "--resource", arn,
                       "--context", "kms:EncryptionContext:department=hr")
    assert out.returncode == 3, out.stdout + out.stderr
    assert "Decision: explicitDeny" in out.stdout
    assert "RequireDepartment" in out.stdout
    out = simulate_cli(server, "--principal", admin, "--action", "kms:Encrypt", "--resource", arn,
                       "--context", "kms:EncryptionContext:department=finance")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Decision: allowed" in out.stdout
    assert "AdministratorAccess" in out.stdout and "Root" in out.stdout
    nobody = f"arn:aws:iam::{account_id}:user/nobody-{uuid.uuid4().hex[:6]}"
    out = simulate_cli(server, "--principal", nobody, "--action", "kms:Decrypt", "--resource", arn)
    assert out.returncode == 3
    assert "Decision: implicitDeny" in out.stdout
    assert "no identity policy allows kms:Decrypt" in out.stdout
    out = simulate_cli(server, "--principal", admin, "--action", "kms:Encrypt", "--context", "novalue")
    assert out.returncode == 1 and "key=value" in out.stderr
