"""Secrets Manager on Coffer's endpoint, driven with boto3 and the aws CLI.

Expected behaviour is the Secrets Manager API Reference (the 2017-10-17
model in ../shared/oracles/kms-api/botocore/secretsmanager, which boto_session
loads ahead of Debian's older bundled one): every error an operation names is
fed exactly the input that causes it, and the error code, the HTTP status and
the field the message names are checked.

Rotation runs against a real PostgreSQL (Debian's postgresql, started by the
`postgres` fixture in a temporary directory on a loopback port) through the
built-in single-user and alternating-users rotators, and against a webhook
rotator implemented here as a small http.server that verifies the
X-Coffer-Signature HMAC and calls Secrets Manager back with boto3. Nothing
sleeps as synchronisation: rotation outcomes are polled with deadlines, and
the scheduled rotation is reached by moving the server's --test-clock.
"""

import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import socket
import string
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from audit_helpers import cloudtrail_events, make_cloudtrail
from conftest import COFFER_BIN, REGION, CofferServer, Credentials, boto_session, wait_for
from test_accounts import second_account  # noqa: F401  (fixture)
from test_authorization import iam  # noqa: F401  (fixture)
from test_session_expiry import clocks  # noqa: F401  (fixture)

OTHER_REGION = "us-west-2"
ARN_RE = r"arn:aws:secretsmanager:{region}:{account}:secret:{name}-[A-Za-z0-9]{{6}}"

# Secrets Manager API Reference, "Errors" of each operation: every client
# error is HTTP 400, InternalServiceError 500.
SM_HTTP_STATUS = {
    "AccessDeniedException": 400,
    "DecryptionFailure": 400,
    "EncryptionFailure": 400,
    "InvalidNextTokenException": 400,
    "InvalidParameterException": 400,
    "InvalidRequestException": 400,
    "LimitExceededException": 400,
    "MalformedPolicyDocumentException": 400,
    "PublicPolicyException": 400,
    "ResourceExistsException": 400,
    "ResourceNotFoundException": 400,
    "ValidationException": 400,
}

ROTATION_TIMEOUT_S = 60


def make_sm(server, creds=None, region=REGION):
    """A boto3 Secrets Manager client; client-side validation off so bad input reaches the server."""
    creds = creds or server.creds
    return boto_session().client(
        "secretsmanager", region_name=region, endpoint_url=server.endpoint,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def sm_error(code, fn, *names, **kwargs):
    """Calls fn(**kwargs), asserts the AWS error `code` with its HTTP status and
    that the message names every one of `names` (case-insensitive); returns the message."""
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    r = info.value.response
    assert r["Error"]["Code"] == code, r["Error"]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == SM_HTTP_STATUS[code], r["ResponseMetadata"]
    message = r["Error"].get("Message", "")
    for name in names:
        assert name.lower() in message.lower(), f"message does not name {name!r}: {message!r}"
    return message


def stages_of(sm, secret_id):
    return sm.describe_secret(SecretId=secret_id)["VersionIdsToStages"]


def holder(sm, secret_id, stage):
    """The version id carrying `stage`, or None."""
    held = [v for v, s in stages_of(sm, secret_id).items() if stage in s]
    assert len(held) <= 1, f"{stage} on several versions: {held}"
    return held[0] if held else None


def policy_doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def close_to_now(when, offset_s=0, slack_s=120):
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    return abs(when.timestamp() - (now + offset_s)) < slack_s


@pytest.fixture(scope="module")
def sm(server):
    return make_sm(server)


@pytest.fixture
def name():
    return "it/" + uuid.uuid4().hex[:12]


# --------------------------------------------------------------------------
# Create / Describe / Update / Delete / Restore
# --------------------------------------------------------------------------


def test_create_describe_and_get(sm, name, account_id):
    out = sm.create_secret(Name=name, Description="db creds", SecretString='{"u":"a"}',
                           Tags=[{"Key": "env", "Value": "test"}])
    assert re.fullmatch(ARN_RE.format(region=REGION, account=account_id, name=re.escape(name)), out["ARN"])
    assert out["Name"] == name
    d = sm.describe_secret(SecretId=name)
    assert (d["ARN"], d["Name"], d["Description"]) == (out["ARN"], name, "db creds")
    assert d["Tags"] == [{"Key": "env", "Value": "test"}]
    assert d["VersionIdsToStages"] == {out["VersionId"]: ["AWSCURRENT"]}
    assert d["RotationEnabled"] is False
    assert "DeletedDate" not in d and "KmsKeyId" not in d
    assert close_to_now(d["CreatedDate"])
    got = sm.get_secret_value(SecretId=name)
    assert (got["SecretString"], got["VersionId"], got["VersionStages"]) == (
        '{"u":"a"}', out["VersionId"], ["AWSCURRENT"])
    assert "SecretBinary" not in got


def test_binary_secret_and_secret_without_value(sm, name):
    blob = bytes(range(256)) * 4
    sm.create_secret(Name=name, SecretBinary=blob)
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretBinary"] == blob and "SecretString" not in got
    empty = sm.create_secret(Name=name + "-empty")
    assert "VersionId" not in empty
    assert sm.describe_secret(SecretId=name + "-empty")["VersionIdsToStages"] == {}
    sm_error("ResourceNotFoundException", sm.get_secret_value, "AWSCURRENT", SecretId=name + "-empty")


def test_create_with_client_request_token(sm, name):
    token = str(uuid.uuid4())
    assert sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)["VersionId"] == token


def test_create_errors(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    msg = sm_error("ResourceExistsException", sm.create_secret, name, Name=name, SecretString="v")
    assert "already exists" in msg
    sm_error("InvalidParameterException", sm.create_secret, "name", Name=name + " bad*", SecretString="v")
    sm_error("InvalidParameterException", sm.create_secret, "binary", "string",
             Name=name + "-both", SecretString="v", SecretBinary=b"v")
    sm_error("InvalidParameterException", sm.create_secret, "tag key", "aws:",
             Name=name + "-t", SecretString="v", Tags=[{"Key": "aws:owner", "Value": "x"}])
    sm_error("InvalidParameterException", sm.create_secret, "Key",
             Name=name + "-t", SecretString="v", Tags=[{"Value": "x"}])
    sm_error("InvalidParameterException", sm.create_secret, "50 tags",
             Name=name + "-t", SecretString="v", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    # The model's limits (SecretString and SecretBinary up to 65536) are checked
    # before the operation runs: ValidationException naming the member.
    sm_error("ValidationException", sm.create_secret, "secretString",
             Name=name + "-big", SecretString="x" * 65537)
    sm_error("ValidationException", sm.create_secret, "secretBinary",
             Name=name + "-big", SecretBinary=b"x" * 65537)
    assert sm.create_secret(Name=name + "-max", SecretBinary=b"x" * 65536)["VersionId"]
    sm_error("ValidationException", sm.create_secret, "name", Name="", SecretString="v")
    for failed in ("-both", "-t", "-big"):
        sm_error("ResourceNotFoundException", sm.describe_secret, SecretId=name + failed)


def test_model_validation_names_the_member(sm):
    sm_error("ValidationException", sm.describe_secret, "secretId", SecretId="")
    sm_error("ValidationException", sm.get_random_password, "passwordLength", PasswordLength=0)
    sm_error("ValidationException", sm.get_random_password, "passwordLength", PasswordLength=4097)
    sm_error("ValidationException", sm.list_secrets, "maxResults", MaxResults=101)


def test_update_secret(sm, name):
    first = sm.create_secret(Name=name, SecretString="v1", Description="old")
    assert "VersionId" not in sm.update_secret(SecretId=name, Description="new")
    d = sm.describe_secret(SecretId=name)
    assert d["Description"] == "new"
    assert d["VersionIdsToStages"] == {first["VersionId"]: ["AWSCURRENT"]}
    second = sm.update_secret(SecretId=name, SecretString="v2")
    assert second["VersionId"] != first["VersionId"]
    assert stages_of(sm, name) == {second["VersionId"]: ["AWSCURRENT"], first["VersionId"]: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    sm_error("InvalidParameterException", sm.update_secret, "binary", "string",
             SecretId=name, SecretString="a", SecretBinary=b"b")
    sm_error("ResourceNotFoundException", sm.update_secret, SecretId=name + "-none", Description="x")
    sm.delete_secret(SecretId=name)
    sm_error("InvalidRequestException", sm.update_secret, "marked for deletion",
             SecretId=name, SecretString="v3")


def test_delete_with_recovery_window_and_restore(sm, name):
    arn = sm.create_secret(Name=name, SecretString="keep")["ARN"]
    out = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert out["ARN"] == arn
    assert close_to_now(out["DeletionDate"], offset_s=7 * 86400)
    d = sm.describe_secret(SecretId=name)
    assert close_to_now(d["DeletedDate"])
    sm_error("InvalidRequestException", sm.get_secret_value, "marked for deletion", SecretId=name)
    sm_error("InvalidRequestException", sm.put_secret_value, "marked for deletion",
             SecretId=name, SecretString="x")
    sm_error("InvalidRequestException", sm.delete_secret, "marked deleted", SecretId=name)
    sm_error("InvalidRequestException", sm.create_secret, "scheduled for deletion",
             Name=name, SecretString="again")
    restored = sm.restore_secret(SecretId=name)
    assert (restored["ARN"], restored["Name"]) == (arn, name)
    d = sm.describe_secret(SecretId=name)
    assert "DeletedDate" not in d
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep"


def test_default_recovery_window_is_30_days(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    assert close_to_now(sm.delete_secret(SecretId=name)["DeletionDate"], offset_s=30 * 86400)


def test_force_delete_without_recovery(sm, name):
    old_arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    out = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert out["ARN"] == old_arn and close_to_now(out["DeletionDate"])
    sm_error("ResourceNotFoundException", sm.describe_secret, SecretId=name)
    # The name is free again; the new secret has a new ARN (its random suffix),
    # and the old ARN does not name it.
    new_arn = sm.create_secret(Name=name, SecretString="w")["ARN"]
    assert new_arn != old_arn
    sm_error("ResourceNotFoundException", sm.describe_secret, SecretId=old_arn)
    # A secret already scheduled for deletion can still be force-deleted.
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=10)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    sm_error("ResourceNotFoundException", sm.restore_secret, SecretId=name)


def test_delete_errors(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    for days in (6, 31):
        sm_error("InvalidParameterException", sm.delete_secret, "RecoveryWindowInDays",
                 SecretId=name, RecoveryWindowInDays=days)
    sm_error("InvalidParameterException", sm.delete_secret, "ForceDeleteWithoutRecovery", "RecoveryWindowInDays",
             SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    sm_error("ResourceNotFoundException", sm.delete_secret, SecretId=name + "-missing")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_recovery_window_ends_on_the_server_clock(fresh_server, clocks):  # noqa: F811
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--sweep-interval", "1"])
    client = make_sm(srv)
    client.create_secret(Name="short-lived", SecretString="v")
    client.create_secret(Name="restored", SecretString="v")
    client.delete_secret(SecretId="short-lived", RecoveryWindowInDays=7)
    client.delete_secret(SecretId="restored", RecoveryWindowInDays=7)
    client.restore_secret(SecretId="restored")
    clocks(6 * 86400)
    assert client.describe_secret(SecretId="short-lived")["DeletedDate"]
    clocks(7 * 86400 + 120)

    def gone():
        try:
            client.describe_secret(SecretId="short-lived")
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ResourceNotFoundException"
    wait_for(gone, 30, "the sweeper to delete the secret at the end of its recovery window")
    assert client.get_secret_value(SecretId="restored")["SecretString"] == "v"
    assert client.create_secret(Name="short-lived", SecretString="new")["ARN"]


# --------------------------------------------------------------------------
# Values, versions and staging labels
# --------------------------------------------------------------------------


def three_versions(sm, name):
    """v1, v2, v3 written in order: v3 AWSCURRENT, v2 AWSPREVIOUS, v1 unlabelled."""
    ids = [sm.create_secret(Name=name, SecretString="v1")["VersionId"]]
    for value in ("v2", "v3"):
        ids.append(sm.put_secret_value(SecretId=name, SecretString=value)["VersionId"])
    return ids


def test_get_secret_value_by_version_id_and_stage(sm, name):
    v1, v2, v3 = three_versions(sm, name)
    assert stages_of(sm, name) == {v3: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v3"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v2"
    # A version without labels is deprecated but still readable by its id.
    got = sm.get_secret_value(SecretId=name, VersionId=v1)
    assert (got["SecretString"], got["VersionStages"]) == ("v1", [])
    both = sm.get_secret_value(SecretId=name, VersionId=v2, VersionStage="AWSPREVIOUS")
    assert both["SecretString"] == "v2"
    sm_error("ResourceNotFoundException", sm.get_secret_value, "VersionId", v3,
             SecretId=name, VersionId=v3, VersionStage="AWSPREVIOUS")
    missing = str(uuid.uuid4())
    sm_error("ResourceNotFoundException", sm.get_secret_value, "VersionId", missing,
             SecretId=name, VersionId=missing)
    sm_error("ResourceNotFoundException", sm.get_secret_value, "staging label", "NOSUCHSTAGE",
             SecretId=name, VersionStage="NOSUCHSTAGE")
    sm_error("ResourceNotFoundException", sm.get_secret_value, SecretId=name + "-none")


def test_put_secret_value_client_request_token_idempotency(sm, name):
    sm.create_secret(Name=name, SecretString="v1")
    token = str(uuid.uuid4())
    first = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=token)
    assert (first["VersionId"], first["VersionStages"]) == (token, ["AWSCURRENT"])
    again = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=token)
    assert again["VersionId"] == token
    assert len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 2
    sm_error("ResourceExistsException", sm.put_secret_value, "existing version",
             SecretId=name, SecretString="different", ClientRequestToken=token)
    sm_error("ResourceExistsException", sm.put_secret_value, "existing version",
             SecretId=name, SecretBinary=b"v2", ClientRequestToken=token)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    sm_error("ValidationException", sm.put_secret_value, "clientRequestToken",
             SecretId=name, SecretString="v", ClientRequestToken="too-short")


def test_put_secret_value_stages_and_errors(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    custom = sm.put_secret_value(SecretId=name, SecretString="c", VersionStages=["CUSTOM"])
    assert custom["VersionStages"] == ["CUSTOM"]
    assert stages_of(sm, name) == {v1: ["AWSCURRENT"], custom["VersionId"]: ["CUSTOM"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="CUSTOM")["SecretString"] == "c"
    # Moving a label off its only version leaves that version unlabelled.
    moved = sm.put_secret_value(SecretId=name, SecretString="c2", VersionStages=["CUSTOM"])
    assert holder(sm, name, "CUSTOM") == moved["VersionId"]
    assert custom["VersionId"] not in stages_of(sm, name)
    sm_error("InvalidRequestException", sm.put_secret_value, "SecretString", "SecretBinary", SecretId=name)
    sm_error("InvalidParameterException", sm.put_secret_value, "binary", "string",
             SecretId=name, SecretString="a", SecretBinary=b"b")
    sm_error("ValidationException", sm.put_secret_value, "versionStages",
             SecretId=name, SecretString="x", VersionStages=[f"L{i}" for i in range(21)])
    sm_error("ResourceNotFoundException", sm.put_secret_value, SecretId=name + "-none", SecretString="x")


def test_list_secret_version_ids(sm, name):
    v1, v2, v3 = three_versions(sm, name)
    out = sm.list_secret_version_ids(SecretId=name)
    assert out["Name"] == name and out["ARN"].startswith("arn:aws:secretsmanager:")
    assert {v["VersionId"]: v["VersionStages"] for v in out["Versions"]} == {
        v3: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}
    every = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in every} == {v1, v2, v3}
    assert all(v["KmsKeyIds"] for v in every)
    paged, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=1, **kwargs)
        assert len(page["Versions"]) <= 1
        paged += [v["VersionId"] for v in page["Versions"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(paged) == sorted([v1, v2, v3])
    sm_error("InvalidNextTokenException", sm.list_secret_version_ids, "NextToken",
             SecretId=name, NextToken="bm90LWEtdG9rZW4=")
    sm_error("ResourceNotFoundException", sm.list_secret_version_ids, SecretId=name + "-none")


def test_update_secret_version_stage_moves_current_and_previous(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="v2", VersionStages=["AWSPENDING"])["VersionId"]
    assert stages_of(sm, name) == {v1: ["AWSCURRENT"], v2: ["AWSPENDING"]}
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2,
                                   RemoveFromVersionId=v1)
    assert stages_of(sm, name) == {v2: ["AWSPENDING", "AWSCURRENT"], v1: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    # Removing a custom label without moving it.
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=v2)
    assert stages_of(sm, name) == {v2: ["AWSCURRENT"], v1: ["AWSPREVIOUS"]}
    # A label not yet on any version is simply attached.
    sm.update_secret_version_stage(SecretId=name, VersionStage="BLUE", MoveToVersionId=v1)
    assert holder(sm, name, "BLUE") == v1


def test_update_secret_version_stage_errors(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="v2", VersionStages=["NEXT"])["VersionId"]
    sm_error("InvalidParameterException", sm.update_secret_version_stage, "RemoveFromVersionId", "AWSCURRENT",
             SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)
    sm_error("InvalidParameterException", sm.update_secret_version_stage, "AWSCURRENT", v2,
             SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v1, RemoveFromVersionId=v2)
    sm_error("InvalidParameterException", sm.update_secret_version_stage, "AWSCURRENT",
             SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=v1)
    missing = str(uuid.uuid4())
    sm_error("ResourceNotFoundException", sm.update_secret_version_stage, missing,
             SecretId=name, VersionStage="NEXT", MoveToVersionId=missing)
    sm_error("ResourceNotFoundException", sm.update_secret_version_stage, missing,
             SecretId=name, VersionStage="NEXT", RemoveFromVersionId=missing)
    labels = [f"L{i}" for i in range(20)]
    full = sm.put_secret_value(SecretId=name, SecretString="v3", VersionStages=labels)["VersionId"]
    sm_error("LimitExceededException", sm.update_secret_version_stage, "20 staging labels",
             SecretId=name, VersionStage="NEXT", MoveToVersionId=full, RemoveFromVersionId=v2)
    assert stages_of(sm, name) == {v1: ["AWSCURRENT"], v2: ["NEXT"], full: labels}


# --------------------------------------------------------------------------
# BatchGetSecretValue, ListSecrets
# --------------------------------------------------------------------------


def test_batch_get_secret_value(sm, name):
    a = sm.create_secret(Name=name + "/a", SecretString="A")["ARN"]
    sm.create_secret(Name=name + "/b", SecretBinary=b"B")
    sm.create_secret(Name=name + "/c", SecretString="C")
    out = sm.batch_get_secret_value(SecretIdList=[a, name + "/b", name + "/missing"])
    values = {v["Name"]: v for v in out["SecretValues"]}
    assert values[name + "/a"]["SecretString"] == "A"
    assert values[name + "/b"]["SecretBinary"] == b"B"
    assert all(v["VersionStages"] == ["AWSCURRENT"] for v in values.values())
    assert [(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]] == [
        (name + "/missing", "ResourceNotFoundException")]
    names, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [name + "/"]}], MaxResults=2,
                                         **kwargs)
        assert len(page["SecretValues"]) <= 2 and page["Errors"] == []
        names += [v["Name"] for v in page["SecretValues"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(names) == [name + "/a", name + "/b", name + "/c"]


def test_batch_get_secret_value_errors(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    sm_error("InvalidParameterException", sm.batch_get_secret_value, "SecretIdList", "Filters")
    sm_error("InvalidParameterException", sm.batch_get_secret_value, "SecretIdList", "Filters",
             SecretIdList=[name], Filters=[{"Key": "name", "Values": [name]}])
    sm_error("InvalidParameterException", sm.batch_get_secret_value, "MaxResults",
             SecretIdList=[name], MaxResults=5)
    sm_error("InvalidParameterException", sm.batch_get_secret_value, "NextToken",
             SecretIdList=[name], NextToken="abc")
    sm_error("ValidationException", sm.batch_get_secret_value, "secretIdList",
             SecretIdList=[f"{name}-{i}" for i in range(21)])
    sm_error("InvalidNextTokenException", sm.batch_get_secret_value, "NextToken",
             Filters=[{"Key": "name", "Values": [name]}], NextToken="bm9wZQ==")


def list_names(sm, **kwargs):
    names = []
    for page in sm.get_paginator("list_secrets").paginate(**kwargs):
        names += [s["Name"] for s in page["SecretList"]]
    return names


@pytest.fixture
def listed(sm, name):
    """Three secrets under one prefix with descriptions and tags to filter on."""
    specs = [("alpha", "Payments DB", [{"Key": "team", "Value": "pay"}]),
             ("beta", "payments cache", [{"Key": "team", "Value": "ops"}, {"Key": "tier", "Value": "gold"}]),
             ("gamma", "Search index", [])]
    for suffix, description, tags in specs:
        sm.create_secret(Name=f"{name}/{suffix}", Description=description, SecretString="v", Tags=tags)
    return name


def test_list_secrets_filters(sm, listed):
    p = listed + "/"

    def names(*filters):
        return sorted(n[len(p):] for n in list_names(sm, Filters=[{"Key": "name", "Values": [p]}, *filters]))
    assert names() == ["alpha", "beta", "gamma"]
    assert names({"Key": "name", "Values": [p + "al", p + "ga"]}) == ["alpha", "gamma"]
    assert list_names(sm, Filters=[{"Key": "name", "Values": [p.upper()]}]) == []  # name: case-sensitive
    assert names({"Key": "description", "Values": ["PAYMENTS"]}) == ["alpha", "beta"]  # not case-sensitive
    assert names({"Key": "tag-key", "Values": ["tier"]}) == ["beta"]
    assert names({"Key": "tag-value", "Values": ["pa"]}) == ["alpha"]
    assert names({"Key": "tag-value", "Values": ["PAY"]}) == []  # tag-value: case-sensitive
    assert names({"Key": "description", "Values": ["!payments"]}) == ["gamma"]
    assert names({"Key": "tag-key", "Values": ["!team"]}) == ["gamma"]
    assert names({"Key": "all", "Values": ["search INDEX"]}) == ["gamma"]
    assert names({"Key": "all", "Values": ["gold payments"]}) == ["beta"]
    assert names({"Key": "all", "Values": ["index"]}) == ["gamma"]  # a word inside the description
    assert names({"Key": "all", "Values": ["paymentsCACHE"]}) == ["beta"]  # split where the case changes
    sm_error("InvalidParameterException", sm.list_secrets, "Values", Filters=[{"Key": "name"}])
    sm_error("ValidationException", sm.list_secrets, "key", Filters=[{"Key": "colour", "Values": ["x"]}])


def test_list_secrets_pagination_sorting_and_planned_deletion(sm, listed):
    p = listed + "/"
    only = [{"Key": "name", "Values": [p]}]
    first = sm.list_secrets(Filters=only, MaxResults=2, SortBy="name")
    assert [s["Name"] for s in first["SecretList"]] == [p + "alpha", p + "beta"]
    rest = sm.list_secrets(Filters=only, MaxResults=2, SortBy="name", NextToken=first["NextToken"])
    assert [s["Name"] for s in rest["SecretList"]] == [p + "gamma"]
    assert "NextToken" not in rest
    assert list_names(sm, Filters=only, SortBy="name", SortOrder="desc") == [p + "gamma", p + "beta", p + "alpha"]
    entry = first["SecretList"][0]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    assert entry["Description"] == "Payments DB"
    sm.delete_secret(SecretId=p + "beta", RecoveryWindowInDays=7)
    assert list_names(sm, Filters=only, SortBy="name") == [p + "alpha", p + "gamma"]
    planned = sm.list_secrets(Filters=only, SortBy="name", IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in planned] == [p + "alpha", p + "beta", p + "gamma"]
    assert "DeletedDate" in planned[1]
    sm_error("InvalidNextTokenException", sm.list_secrets, "NextToken", NextToken="garbage")


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


def tags_of(sm, secret_id):
    return {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=secret_id).get("Tags", [])}


def test_tag_and_untag(sm, name):
    sm.create_secret(Name=name, SecretString="v", Tags=[{"Key": "env", "Value": "dev"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}])
    assert tags_of(sm, name) == {"env": "prod", "team": "a"}
    sm.untag_resource(SecretId=name, TagKeys=["env", "absent"])
    assert tags_of(sm, name) == {"team": "a"}
    assert list_names(sm, Filters=[{"Key": "tag-key", "Values": ["team"]}, {"Key": "name", "Values": [name]}]) == [name]


def test_tag_errors(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    sm_error("InvalidParameterException", sm.tag_resource, "tag key", "aws:",
             SecretId=name, Tags=[{"Key": "aws:cloudformation:stack", "Value": "x"}])
    sm_error("InvalidParameterException", sm.untag_resource, "tag key", "aws:",
             SecretId=name, TagKeys=["aws:x"])
    sm_error("InvalidParameterException", sm.tag_resource, "Key", SecretId=name, Tags=[{"Value": "x"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    sm_error("InvalidParameterException", sm.tag_resource, "50 tags",
             SecretId=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert len(tags_of(sm, name)) == 50
    sm_error("ResourceNotFoundException", sm.tag_resource, SecretId=name + "-none",
             Tags=[{"Key": "a", "Value": "b"}])


# --------------------------------------------------------------------------
# Resource policies
# --------------------------------------------------------------------------


def test_resource_policy_put_get_delete(sm, name, account_id):
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    doc = policy_doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                      "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    out = sm.put_resource_policy(SecretId=name, ResourcePolicy=doc, BlockPublicPolicy=True)
    assert (out["ARN"], out["Name"]) == (arn, name)
    got = sm.get_resource_policy(SecretId=arn)
    assert json.loads(got["ResourcePolicy"]) == json.loads(doc)
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_resource_policy_public_and_malformed(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    public = policy_doc({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                         "Resource": "*"})
    sm_error("PublicPolicyException", sm.put_resource_policy, "public", SecretId=name, ResourcePolicy=public,
             BlockPublicPolicy=True)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    verdict = sm.validate_resource_policy(SecretId=name, ResourcePolicy=public)
    assert verdict["PolicyValidationPassed"] is False and verdict["ValidationErrors"]
    # A wildcard principal pinned to one account is not public.
    pinned = policy_doc({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                         "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}})
    assert sm.validate_resource_policy(ResourcePolicy=pinned)["PolicyValidationPassed"] is True
    sm.put_resource_policy(SecretId=name, ResourcePolicy=pinned, BlockPublicPolicy=True)
    # Without BlockPublicPolicy a public policy is accepted (AWS's default).
    sm.put_resource_policy(SecretId=name, ResourcePolicy=public)
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(public)
    for bad in ("not json", "{}", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]})):
        sm_error("MalformedPolicyDocumentException", sm.put_resource_policy, SecretId=name, ResourcePolicy=bad)
        sm_error("MalformedPolicyDocumentException", sm.validate_resource_policy, ResourcePolicy=bad)
    sm_error("ResourceNotFoundException", sm.get_resource_policy, SecretId=name + "-none")
    sm_error("ResourceNotFoundException", sm.validate_resource_policy, SecretId=name + "-none",
             ResourcePolicy=pinned)


def test_resource_policy_explicit_deny_beats_admin(sm, name, account_id):
    sm.create_secret(Name=name, SecretString="v")
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy_doc(
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    sm_error("AccessDeniedException", sm.get_secret_value, "secretsmanager:GetSecretValue", "explicit deny",
             SecretId=name)
    assert sm.describe_secret(SecretId=name)["Name"] == name  # only GetSecretValue is denied
    sm.delete_resource_policy(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


# --------------------------------------------------------------------------
# GetRandomPassword
# --------------------------------------------------------------------------

PUNCTUATION = set(string.punctuation)  # the set the API Reference lists for ExcludePunctuation


def test_get_random_password_defaults(sm):
    for _ in range(5):
        pw = sm.get_random_password()["RandomPassword"]
        assert len(pw) == 32
        assert set(pw) <= set(string.ascii_letters + string.digits) | PUNCTUATION
        # RequireEachIncludedType defaults to on: one of every type.
        for kind in (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation):
            assert set(pw) & set(kind), f"{pw!r} lacks one of {kind!r}"


def test_get_random_password_options(sm):
    def draw(**kwargs):
        return "".join(sm.get_random_password(**kwargs)["RandomPassword"] for _ in range(4))
    assert len(sm.get_random_password(PasswordLength=4096)["RandomPassword"]) == 4096
    assert set(draw(ExcludeNumbers=True, PasswordLength=64)).isdisjoint(string.digits)
    assert set(draw(ExcludePunctuation=True, PasswordLength=64)).isdisjoint(PUNCTUATION)
    assert set(draw(ExcludeUppercase=True, PasswordLength=64)).isdisjoint(string.ascii_uppercase)
    assert set(draw(ExcludeLowercase=True, PasswordLength=64)).isdisjoint(string.ascii_lowercase)
    assert set(draw(ExcludeCharacters="aeiouAEIOU0/@", PasswordLength=64)).isdisjoint("aeiouAEIOU0/@")
    only_digits = draw(ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True, PasswordLength=16)
    assert only_digits.isdigit() and len(only_digits) == 64
    assert " " not in draw(PasswordLength=200)
    spaced = sm.get_random_password(IncludeSpace=True, PasswordLength=5, ExcludeLowercase=True,
                                    ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True)
    assert spaced["RandomPassword"] == "     "
    short = sm.get_random_password(PasswordLength=4)["RandomPassword"]
    assert all(set(short) & set(kind) for kind in (string.ascii_lowercase, string.ascii_uppercase,
                                                    string.digits, string.punctuation))
    loose = sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)["RandomPassword"]
    assert len(loose) == 1


def test_get_random_password_errors(sm):
    sm_error("InvalidParameterException", sm.get_random_password, "PasswordLength", PasswordLength=3)
    sm_error("InvalidParameterException", sm.get_random_password, "excluded",
             ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True)
    sm_error("InvalidParameterException", sm.get_random_password, "excluded",
             ExcludeCharacters=string.ascii_letters + string.digits + string.punctuation)


# --------------------------------------------------------------------------
# Naming a secret: name, partial ARN, full ARN
# --------------------------------------------------------------------------


def test_name_resolution(sm, name, account_id):
    arn = sm.create_secret(Name=name, SecretString="by-any-name")["ARN"]
    suffix = arn.rsplit("-", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9]{6}", suffix)
    partial = arn[: -len(suffix) - 1]
    assert partial == f"arn:aws:secretsmanager:{REGION}:{account_id}:secret:{name}"
    for secret_id in (name, arn, partial):
        assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == "by-any-name"
        assert sm.describe_secret(SecretId=secret_id)["ARN"] == arn
    other = "A" * 6 if suffix != "A" * 6 else "B" * 6
    sm_error("ResourceNotFoundException", sm.describe_secret, SecretId=partial + "-" + other)
    sm_error("ResourceNotFoundException", sm.describe_secret,
             SecretId=arn.replace(f":{REGION}:", f":{OTHER_REGION}:"))
    sm_error("ResourceNotFoundException", sm.describe_secret, SecretId=name.upper())


def test_name_that_looks_like_an_arn_suffix(sm, name):
    """A name ending in a hyphen and six characters still resolves by its partial ARN."""
    tricky = name + "-abcdef"
    arn = sm.create_secret(Name=tricky, SecretString="tricky")["ARN"]
    partial = arn.rsplit("-", 1)[0]
    assert partial.endswith(":secret:" + tricky)
    assert sm.get_secret_value(SecretId=partial)["SecretString"] == "tricky"
    assert sm.get_secret_value(SecretId=tricky)["SecretString"] == "tricky"


# --------------------------------------------------------------------------
# Replication
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sm_west(server):
    return make_sm(server, region=OTHER_REGION)


def test_replicate_read_and_follow_the_primary(sm, sm_west, name):
    arn = sm.create_secret(Name=name, SecretString="v1", Description="replicated")["ARN"]
    out = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": OTHER_REGION}])
    assert out["ARN"] == arn
    assert [(s["Region"], s["Status"]) for s in out["ReplicationStatus"]] == [(OTHER_REGION, "InSync")]
    primary = sm.describe_secret(SecretId=name)
    assert primary["PrimaryRegion"] == REGION
    assert [s["Region"] for s in primary["ReplicationStatus"]] == [OTHER_REGION]
    replica_arn = arn.replace(f":{REGION}:", f":{OTHER_REGION}:")
    replica = sm_west.describe_secret(SecretId=name)
    assert (replica["ARN"], replica["PrimaryRegion"], replica["Description"]) == (replica_arn, REGION, "replicated")
    assert sm_west.get_secret_value(SecretId=replica_arn)["SecretString"] == "v1"
    sm.put_secret_value(SecretId=name, SecretString="v2")
    sm.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}])
    assert sm_west.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert sm_west.describe_secret(SecretId=name)["Tags"] == [{"Key": "k", "Value": "v"}]
    # A replica is read-only: writes go to the primary's Region.
    for call, kwargs in ((sm_west.put_secret_value, {"SecretString": "x"}),
                         (sm_west.update_secret, {"Description": "x"}),
                         (sm_west.tag_resource, {"Tags": [{"Key": "a", "Value": "b"}]}),
                         (sm_west.put_resource_policy, {"ResourcePolicy": policy_doc(
                             {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})})):
        sm_error("InvalidRequestException", call, "replica", "primary", SecretId=name, **kwargs)
    assert list_names(sm_west, Filters=[{"Key": "primary-region", "Values": [REGION]},
                                        {"Key": "name", "Values": [name]}]) == [name]
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[OTHER_REGION])
    sm_error("ResourceNotFoundException", sm_west.describe_secret, SecretId=name)
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)


def test_replication_errors(sm, sm_west, name):
    sm.create_secret(Name=name, SecretString="v")
    sm_error("InvalidParameterException", sm.replicate_secret_to_regions, "Region", "own",
             SecretId=name, AddReplicaRegions=[{"Region": REGION}])
    sm_error("InvalidParameterException", sm.replicate_secret_to_regions, "Region",
             SecretId=name, AddReplicaRegions=[{"KmsKeyId": "alias/aws/secretsmanager"}])
    sm_error("InvalidParameterException", sm.remove_regions_from_replication, "Region", OTHER_REGION,
             SecretId=name, RemoveReplicaRegions=[OTHER_REGION])
    sm_error("InvalidRequestException", sm.stop_replication_to_replica, "replica", SecretId=name)
    sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": OTHER_REGION}])
    sm_error("InvalidRequestException", sm.delete_secret, "replica", OTHER_REGION,
             SecretId=name, ForceDeleteWithoutRecovery=True)
    # Promoting the replica makes it a standalone secret in its Region.
    sm_west.stop_replication_to_replica(SecretId=name)
    assert "PrimaryRegion" not in sm_west.describe_secret(SecretId=name)
    sm_west.put_secret_value(SecretId=name, SecretString="independent")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_replica_name_clash_and_force_overwrite(sm, sm_west, name):
    sm_west.create_secret(Name=name, SecretString="already here")
    sm.create_secret(Name=name, SecretString="primary")
    out = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": OTHER_REGION}])
    assert out["ReplicationStatus"][0]["Status"] == "Failed"
    assert sm_west.get_secret_value(SecretId=name)["SecretString"] == "already here"
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[OTHER_REGION])
    out = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": OTHER_REGION}],
                                         ForceOverwriteReplicaSecret=True)
    assert out["ReplicationStatus"][0]["Status"] == "InSync"
    assert sm_west.get_secret_value(SecretId=name)["SecretString"] == "primary"


def test_create_secret_with_replica_regions(sm, sm_west, name):
    out = sm.create_secret(Name=name, SecretString="v", AddReplicaRegions=[{"Region": OTHER_REGION}])
    assert [(s["Region"], s["Status"]) for s in out["ReplicationStatus"]] == [(OTHER_REGION, "InSync")]
    assert sm_west.get_secret_value(SecretId=name)["SecretString"] == "v"


# --------------------------------------------------------------------------
# Authorization: identity policies, resource policies, other accounts
# --------------------------------------------------------------------------


@pytest.fixture
def carol(server, iam):
    """An IAM user without policies; returns (user name, Secrets Manager client, policy setter)."""
    user = "carol-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    client = make_sm(server, Credentials(key["AccessKeyId"], key["SecretAccessKey"], server.creds.account_id))

    def allow(*statements):
        iam.put_user_policy(UserName=user, PolicyName="sm", PolicyDocument=policy_doc(*statements))
    return user, client, allow


def test_identity_policy_authorization(sm, carol, name):
    user, client, allow = carol
    arn = sm.create_secret(Name=name, SecretString="guarded")["ARN"]
    other = sm.create_secret(Name=name + "-other", SecretString="other")["ARN"]
    msg = sm_error("AccessDeniedException", client.get_secret_value, f"user/{user}",
                   "secretsmanager:GetSecretValue", SecretId=name)
    assert "guarded" not in msg
    sm_error("AccessDeniedException", client.list_secrets, "secretsmanager:ListSecrets")
    sm_error("AccessDeniedException", client.create_secret, "secretsmanager:CreateSecret",
             Name=name + "-carol", SecretString="x")
    sm_error("AccessDeniedException", client.get_random_password, "secretsmanager:GetRandomPassword")
    # Authorization comes before existence: no permission, no hint that a name is free.
    sm_error("AccessDeniedException", client.describe_secret, SecretId=name + "-never-created")
    allow({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
           "Resource": arn})
    assert client.get_secret_value(SecretId=name)["SecretString"] == "guarded"
    assert client.describe_secret(SecretId=arn)["ARN"] == arn
    sm_error("AccessDeniedException", client.get_secret_value, "secretsmanager:GetSecretValue", SecretId=other)
    sm_error("AccessDeniedException", client.put_secret_value, "secretsmanager:PutSecretValue",
             SecretId=name, SecretString="x")
    # BatchGetSecretValue needs its own action, then reports per-secret denials.
    sm_error("AccessDeniedException", client.batch_get_secret_value, "secretsmanager:BatchGetSecretValue",
             SecretIdList=[arn])
    allow({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": arn},
          {"Effect": "Allow", "Action": "secretsmanager:BatchGetSecretValue", "Resource": "*"})
    out = client.batch_get_secret_value(SecretIdList=[arn, other])
    assert [v["SecretString"] for v in out["SecretValues"]] == ["guarded"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]] == [(other, "AccessDeniedException")]


def test_identity_policy_conditions_on_stage_and_tags(sm, carol, name):
    user, client, allow = carol
    sm.create_secret(Name=name, SecretString="v1", Tags=[{"Key": "team", "Value": "blue"}])
    sm.put_secret_value(SecretId=name, SecretString="v2")
    allow({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
           "Condition": {"StringEquals": {"secretsmanager:VersionStage": "AWSPREVIOUS",
                                          "secretsmanager:ResourceTag/team": "blue"}}})
    assert client.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    sm_error("AccessDeniedException", client.get_secret_value, SecretId=name)
    sm.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "red"}])
    sm_error("AccessDeniedException", client.get_secret_value, SecretId=name, VersionStage="AWSPREVIOUS")


def test_resource_policy_grants_a_user_of_the_same_account(sm, carol, name):
    user, client, _ = carol
    sm.create_secret(Name=name, SecretString="via resource policy")
    user_arn = f"arn:aws:iam::{sm.describe_secret(SecretId=name)['ARN'].split(':')[4]}:user/{user}"
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy_doc(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}))
    assert client.get_secret_value(SecretId=name)["SecretString"] == "via resource policy"


def cross_account_key(kms, owner, reader):
    """A customer managed key the other account may decrypt with."""
    return kms.create_key(Policy=policy_doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{reader}:root"}, "Action": "kms:Decrypt",
         "Resource": "*"}))["KeyMetadata"]


def test_cross_account_access(server, sm, kms, name, account_id, second_account):  # noqa: F811
    other = make_sm(server, second_account)
    grant = policy_doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{second_account.account_id}:root"},
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    default_key = sm.create_secret(Name=name, SecretString="default key")["ARN"]
    sm_error("AccessDeniedException", other.get_secret_value, "secretsmanager:GetSecretValue",
             "resource-based policy", SecretId=default_key)
    # A name resolves in the caller's own account only.
    sm_error("ResourceNotFoundException", other.get_secret_value, SecretId=name)
    sm.put_resource_policy(SecretId=default_key, ResourcePolicy=grant)
    # The AWS managed key aws/secretsmanager can't be used from another account.
    sm_error("AccessDeniedException", other.get_secret_value, "kms:Decrypt", SecretId=default_key)
    key = cross_account_key(kms, account_id, second_account.account_id)
    shared = sm.create_secret(Name=name + "-cmk", SecretString="shared", KmsKeyId=key["Arn"])["ARN"]
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=grant)
    assert other.get_secret_value(SecretId=shared)["SecretString"] == "shared"
    # Only the granted action: DescribeSecret stays denied.
    sm_error("AccessDeniedException", other.describe_secret, "secretsmanager:DescribeSecret", SecretId=shared)


# --------------------------------------------------------------------------
# Customer managed KMS keys
# --------------------------------------------------------------------------


def test_customer_managed_key(sm, kms, name):
    key = kms.create_key(Description="secrets key")["KeyMetadata"]
    sm.create_secret(Name=name, SecretString="under cmk", KmsKeyId=key["KeyId"])
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key["KeyId"]
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert versions[0]["KmsKeyIds"] == [key["Arn"]]
    kms.disable_key(KeyId=key["KeyId"])
    sm_error("DecryptionFailure", sm.get_secret_value, "KMS", SecretId=name)
    sm_error("EncryptionFailure", sm.put_secret_value, "KMS", SecretId=name, SecretString="new")
    sm_error("EncryptionFailure", sm.create_secret, "KMS", Name=name + "-2", SecretString="x",
             KmsKeyId=key["Arn"])
    sm_error("ResourceNotFoundException", sm.describe_secret, SecretId=name + "-2")
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "under cmk"
    sm_error("EncryptionFailure", sm.create_secret, "KMS", Name=name + "-3", SecretString="x",
             KmsKeyId="alias/does-not-exist-" + uuid.uuid4().hex[:6])


def test_update_secret_moves_to_a_new_key(sm, kms, name):
    old = kms.create_key()["KeyMetadata"]
    new = kms.create_key()["KeyMetadata"]
    sm.create_secret(Name=name, SecretString="v1", KmsKeyId=old["Arn"])
    sm.put_secret_value(SecretId=name, SecretString="v2")
    sm.update_secret(SecretId=name, KmsKeyId=new["Arn"])
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == new["Arn"]
    # The labelled versions are now also wrapped under the new key.
    kms.disable_key(KeyId=old["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    assert sm.put_secret_value(SecretId=name, SecretString="v3")["VersionId"]
    latest = sm.list_secret_version_ids(SecretId=name)["Versions"]
    current = [v for v in latest if "AWSCURRENT" in v["VersionStages"]][0]
    assert current["KmsKeyIds"] == [new["Arn"]]


# --------------------------------------------------------------------------
# The audit trail never holds a secret value
# --------------------------------------------------------------------------


def test_secret_values_stay_out_of_the_trail(server, sm, name):
    marker = "never-in-trail-" + uuid.uuid4().hex
    blob = ("binary-" + marker).encode()
    sm.create_secret(Name=name, SecretString=marker + "-1")
    sm.put_secret_value(SecretId=name, SecretString=marker + "-2")
    sm.update_secret(SecretId=name, SecretString=marker + "-3")
    sm.create_secret(Name=name + "-bin", SecretBinary=blob)
    sm.get_secret_value(SecretId=name)
    sm.get_secret_value(SecretId=name + "-bin")
    sm.batch_get_secret_value(SecretIdList=[name, name + "-bin"])
    password = sm.get_random_password(PasswordLength=64)["RandomPassword"]
    cloudtrail = make_cloudtrail(server)
    names = ("CreateSecret", "PutSecretValue", "UpdateSecret", "GetSecretValue", "BatchGetSecretValue",
             "GetRandomPassword")

    def recorded():
        found = {}
        for event_name in names:
            events = cloudtrail_events(cloudtrail, LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": event_name}])
            found[event_name] = [e for e in events if name in json.dumps(e) or event_name == "GetRandomPassword"]
        return found if all(found.values()) else None
    events = wait_for(recorded, 30, "the Secrets Manager events in the trail")
    assert events["CreateSecret"][0]["eventSource"] == "secretsmanager.amazonaws.com"
    text = json.dumps(events)
    for leaked in (marker, base64.b64encode(blob).decode(), password):
        assert leaked not in text


# --------------------------------------------------------------------------
# Rotation: RotateSecret's checks
# --------------------------------------------------------------------------


def lambda_arn(account, function):
    return f"arn:aws:lambda:{REGION}:{account}:function:{function}"


def test_rotate_secret_needs_a_known_rotation_function(sm, name, account_id):
    sm.create_secret(Name=name, SecretString="v")
    sm_error("InvalidRequestException", sm.rotate_secret, "Lambda", SecretId=name)
    unknown = lambda_arn(account_id, "no-such-function")
    sm_error("AccessDeniedException", sm.rotate_secret, "Lambda", unknown, SecretId=name, RotationLambdaARN=unknown)
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is False


# --------------------------------------------------------------------------
# Rotation servers: PostgreSQL and webhook rotators
# --------------------------------------------------------------------------

PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
HOOK_KEY_ENV = "COFFER_IT_SM_HOOK_KEY"
WRONG_KEY_ENV = "COFFER_IT_SM_WRONG_HOOK_KEY"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (password logins) with its
    Unix socket in the cluster's own directory (trust, for setting up roles)."""

    ADMIN = "pgadmin"

    def __init__(self):
        self.bin = PG_BINS[-1].parent
        self.root = Path(tempfile.mkdtemp(prefix="coffer-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.root, "postgres", "postgres")

    def _as_owner(self, *args):
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"{cmd} failed:\n{out.stdout}\n{out.stderr}"
        return out

    def init(self):
        self._as_owner(self.bin / "initdb", "-D", self.data, "-U", self.ADMIN, "--auth-local=trust",
                       "--auth-host=scram-sha-256")
        return self

    def start(self):
        self._as_owner(self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "-t", "60",
                       "-o", f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1", "start")

    def stop(self):
        self._as_owner(self.bin / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", "fast", "stop")

    def sql(self, statement):
        out = subprocess.run(
            [str(self.bin / "psql"), "-h", str(self.root), "-p", str(self.port), "-U", self.ADMIN, "-d", "postgres",
             "-v", "ON_ERROR_STOP=1", "-tAc", statement], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"{statement}: {out.stderr}"
        return out.stdout.strip()

    def can_login(self, user, password):
        """Whether `user` logs in over TCP with `password` (psql, no prompt)."""
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
        out = subprocess.run(
            [str(self.bin / "psql"), "-w", "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", "postgres",
             "-tAc", "SELECT current_user"], capture_output=True, text=True, env=env, timeout=60)
        if out.returncode == 0:
            assert out.stdout.strip() == user
            return True
        assert "password authentication failed" in out.stderr, out.stderr
        return False

    def create_role(self, user, password, superuser=False):
        quoted = password.replace("'", "''")
        self.sql(f"CREATE ROLE \"{user}\" LOGIN {'SUPERUSER' if superuser else ''} PASSWORD '{quoted}'")

    def secret(self, user, password, **extra):
        return json.dumps({"engine": "postgres", "host": "127.0.0.1", "port": self.port, "username": user,
                           "password": password, "dbname": "postgres", **extra})


@pytest.fixture(scope="module")
def postgres():
    if not PG_BINS:
        pytest.skip("Debian's postgresql (/usr/lib/postgresql/*/bin) is not installed")
    pg = Postgres().init()
    pg.start()
    yield pg
    try:
        pg.stop()
    finally:
        shutil.rmtree(pg.root, ignore_errors=True)


class RotationHook:
    """A rotation function as a small HTTP service: verifies X-Coffer-Signature
    (hex HMAC-SHA256 over "<X-Coffer-Timestamp>.<body>") and runs the step with
    boto3 against the coffer whose account the SecretId names."""

    def __init__(self, key):
        self.key = key.encode()
        self.clients = {}    # account id -> Secrets Manager client
        self.steps = []      # (secret ARN, step) of every accepted call, in order
        self.rejected = []   # bodies whose signature did not verify
        self.fail = {}       # secret ARN -> step answered with HTTP 500
        self.skip = set()    # secret ARNs whose steps answer 200 without doing anything
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = hook.handle(self.headers.get("X-Coffer-Timestamp", ""),
                                   self.headers.get("X-Coffer-Signature", ""), body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}/rotate"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def verified(self, timestamp, signature, body):
        expected = hmac.new(self.key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        return fresh and hmac.compare_digest(expected, signature.lower())

    def handle(self, timestamp, signature, body):
        if not self.verified(timestamp, signature, body):
            self.rejected.append(body)
            return 401
        event = json.loads(body)
        arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
        self.steps.append((arn, step))
        if self.fail.get(arn) == step:
            return 500
        if arn in self.skip:
            return 200
        try:
            getattr(self, step)(self.clients[arn.split(":")[4]], arn, token)
        except ClientError:
            return 500
        return 200

    def createSecret(self, sm, arn, token):  # noqa: N802  (the step names AWS sends)
        current = sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            return
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token, VersionStages=["AWSPENDING"],
                            SecretString=current.split("|")[0] + "|rotated-" + token)

    def setSecret(self, sm, arn, token):  # noqa: N802
        sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")

    def testSecret(self, sm, arn, token):  # noqa: N802
        value = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
        assert value.endswith(token)

    def finishSecret(self, sm, arn, token):  # noqa: N802
        current = holder(sm, arn, "AWSCURRENT")
        if current != token:
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           RemoveFromVersionId=current)

    def steps_for(self, arn):
        return [step for a, step in self.steps if a == arn]

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def hook():
    h = RotationHook("hook-key-" + uuid.uuid4().hex)
    saved = {k: os.environ.get(k) for k in (HOOK_KEY_ENV, WRONG_KEY_ENV)}
    os.environ[HOOK_KEY_ENV] = h.key.decode()
    os.environ[WRONG_KEY_ENV] = "not-the-hook-key"
    yield h
    h.close()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def write_rotators(directory, hook):
    path = Path(directory) / "rotators.json"
    path.write_text(json.dumps({"functions": [
        {"name": "pg-single", "type": "postgresql-single-user"},
        {"name": "pg-alternating", "type": "postgresql-alternating-users"},
        {"name": "hook", "type": "webhook", "url": hook.url, "hmac_key_env": HOOK_KEY_ENV},
        {"name": "hook-wrong-key", "type": "webhook", "url": hook.url, "hmac_key_env": WRONG_KEY_ENV},
    ]}))
    return str(path)


def rotation_args(directory, hook):
    # The sweeper retries failed rotations; one-second sweeps keep the tests short.
    return ["--rotators", write_rotators(directory, hook), "--sweep-interval", "1", "--quotas", "false"]


@pytest.fixture(scope="module")
def rotation_server(tmp_path_factory, hook):
    root = tmp_path_factory.mktemp("coffer-rotation")
    srv = CofferServer(root / "data", extra_args=rotation_args(root, hook)).start()
    hook.clients[srv.creds.account_id] = make_sm(srv)
    yield srv
    assert srv.stop() == 0, "coffer did not exit 0 on SIGTERM"


@pytest.fixture(scope="module")
def rsm(rotation_server):
    return make_sm(rotation_server)


@pytest.fixture(scope="module")
def trail(rotation_server):
    return make_cloudtrail(rotation_server)


def rotated(sm, secret_id, token, timeout_s=ROTATION_TIMEOUT_S):
    """Waits until the rotation `token` succeeded: AWSCURRENT on it and AWSPENDING gone."""
    def done():
        return stages_of(sm, secret_id).get(token) == ["AWSCURRENT"]
    wait_for(done, timeout_s, f"rotation {token} of {secret_id} to finish")
    return sm.get_secret_value(SecretId=secret_id)


def rotation_failed(trail, arn, timeout_s=ROTATION_TIMEOUT_S):
    """Waits for a RotationFailed event of `arn` in the trail; returns the events."""
    def failed():
        events = cloudtrail_events(trail, LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "RotationFailed"}])
        return [e for e in events if arn in json.dumps(e)]
    return wait_for(failed, timeout_s, f"a RotationFailed event for {arn}")


def test_rotate_secret_rule_errors(rsm, rotation_server, name):
    hook_arn = lambda_arn(rotation_server.creds.account_id, "hook")
    rsm.create_secret(Name=name, SecretString="v")

    def rotate(*names, code="InvalidParameterException", **rules):
        return sm_error(code, rsm.rotate_secret, *names, SecretId=name, RotationLambdaARN=hook_arn,
                        RotateImmediately=False, RotationRules=rules)
    rotate("rotation frequency", AutomaticallyAfterDays=10, ScheduleExpression="rate(10 days)")
    rotate("AutomaticallyAfterDays", "ScheduleExpression")
    rotate("AutomaticallyAfterDays", "ScheduleExpression", Duration="2h")
    rotate("ScheduleExpression", ScheduleExpression="rate(2 hours)")
    rotate("ScheduleExpression", ScheduleExpression="rate(1001 days)")
    rotate("ScheduleExpression", ScheduleExpression="cron(0 8 * * MON)")
    rotate("ScheduleExpression", ScheduleExpression="cron(0 8 1 * MON *)")
    rotate("Duration", ScheduleExpression="rate(4 hours)", Duration="0h")
    rotate("Duration", AutomaticallyAfterDays=2, Duration="25h")
    rotate("Duration", ScheduleExpression="rate(4 hours)", Duration="4h")
    rotate("rotationRules.duration", code="ValidationException", AutomaticallyAfterDays=2, Duration="x5h")
    rotate("automaticallyAfterDays", code="ValidationException", AutomaticallyAfterDays=0)
    assert rsm.describe_secret(SecretId=name)["RotationEnabled"] is False


def test_rotate_secret_state_errors(rsm, rotation_server, name):
    hook_arn = lambda_arn(rotation_server.creds.account_id, "hook")
    rsm.create_secret(Name=name + "-empty")
    sm_error("InvalidRequestException", rsm.rotate_secret, "AWSCURRENT", SecretId=name + "-empty",
             RotationLambdaARN=hook_arn)
    rsm.create_secret(Name=name, SecretString="v")
    pending = rsm.put_secret_value(SecretId=name, SecretString="half", VersionStages=["AWSPENDING"])["VersionId"]
    sm_error("InvalidRequestException", rsm.rotate_secret, "previous rotation", SecretId=name,
             RotationLambdaARN=hook_arn)
    rsm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=pending)
    rsm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    sm_error("InvalidRequestException", rsm.rotate_secret, "marked for deletion", SecretId=name,
             RotationLambdaARN=hook_arn)


def test_rotation_settings_without_rotating_and_cancel(rsm, rotation_server, name):
    hook_arn = lambda_arn(rotation_server.creds.account_id, "hook")
    v1 = rsm.create_secret(Name=name, SecretString="v")["VersionId"]
    out = rsm.rotate_secret(SecretId=name, RotationLambdaARN=hook_arn, RotateImmediately=False,
                            RotationRules={"AutomaticallyAfterDays": 10})
    assert "VersionId" not in out
    d = rsm.describe_secret(SecretId=name)
    assert (d["RotationEnabled"], d["RotationLambdaARN"], d["RotationRules"]) == (
        True, hook_arn, {"AutomaticallyAfterDays": 10})
    assert close_to_now(d["NextRotationDate"], offset_s=10 * 86400, slack_s=86400)
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    rsm.rotate_secret(SecretId=name, RotateImmediately=False,
                      RotationRules={"ScheduleExpression": "cron(0 4 ? * SUN *)", "Duration": "3h"})
    d = rsm.describe_secret(SecretId=name)
    assert d["RotationRules"] == {"ScheduleExpression": "cron(0 4 ? * SUN *)", "Duration": "3h"}
    nxt = d["NextRotationDate"].astimezone(datetime.timezone.utc)
    assert (nxt.weekday(), nxt.hour) == (6, 4)  # a Sunday, in the window from 04:00 UTC
    assert rsm.cancel_rotate_secret(SecretId=name)["Name"] == name
    d = rsm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is False and "NextRotationDate" not in d


def test_webhook_rotation(rsm, rotation_server, hook, name):
    arn = rsm.create_secret(Name=name, SecretString="s0")["ARN"]
    old = holder(rsm, name, "AWSCURRENT")
    out = rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id, "hook"),
                            RotationRules={"AutomaticallyAfterDays": 30})
    token = out["VersionId"]
    got = rotated(rsm, name, token)
    assert got["SecretString"] == "s0|rotated-" + token
    assert hook.steps_for(arn) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert stages_of(rsm, name) == {token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]}
    d = rsm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True and close_to_now(d["LastRotatedDate"])
    assert close_to_now(d["NextRotationDate"], offset_s=30 * 86400, slack_s=86400)
    # Rotating again starts from the new value.
    again = rsm.rotate_secret(SecretId=name)["VersionId"]
    assert rotated(rsm, name, again)["SecretString"] == "s0|rotated-" + again
    assert holder(rsm, name, "AWSPREVIOUS") == token


def test_webhook_signature_is_checked(rsm, rotation_server, hook, trail, name):
    arn = rsm.create_secret(Name=name, SecretString="s0")["ARN"]
    current = holder(rsm, name, "AWSCURRENT")
    before = len(hook.rejected)
    rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id,
                                                                  "hook-wrong-key"))
    rotation_failed(trail, arn)
    try:
        assert any(json.loads(b)["SecretId"] == arn for b in hook.rejected[before:])
        assert hook.steps_for(arn) == []
        assert stages_of(rsm, name) == {current: ["AWSCURRENT"]}
        assert rsm.get_secret_value(SecretId=name)["SecretString"] == "s0"
    finally:
        rsm.cancel_rotate_secret(SecretId=name)


def test_failed_step_keeps_current_and_the_retry_finishes(rsm, rotation_server, hook, trail, name):
    arn = rsm.create_secret(Name=name, SecretString="s0")["ARN"]
    current = holder(rsm, name, "AWSCURRENT")
    hook.fail[arn] = "testSecret"
    token = rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id,
                                                                          "hook"))["VersionId"]
    rotation_failed(trail, arn)
    # As on AWS: AWSCURRENT stays; the new version waits under AWSPENDING.
    assert stages_of(rsm, name) == {current: ["AWSCURRENT"], token: ["AWSPENDING"]}
    assert rsm.get_secret_value(SecretId=name)["SecretString"] == "s0"
    sm_error("InvalidRequestException", rsm.rotate_secret, "previous rotation", SecretId=name)
    del hook.fail[arn]
    got = rotated(rsm, name, token)
    assert got["SecretString"] == "s0|rotated-" + token
    assert stages_of(rsm, name) == {token: ["AWSCURRENT"], current: ["AWSPREVIOUS"]}
    steps = hook.steps_for(arn)
    assert steps[:3] == ["createSecret", "setSecret", "testSecret"] and steps[-1] == "finishSecret"


def test_scheduled_rotation_on_the_server_clock(fresh_server, tmp_path, hook, clocks):  # noqa: F811
    srv = fresh_server(extra_args=rotation_args(tmp_path, hook) + ["--test-clock", str(clocks.file)])
    client = make_sm(srv)
    hook.clients[srv.creds.account_id] = client
    arn = client.create_secret(Name="scheduled", SecretString="s0")["ARN"]
    client.rotate_secret(SecretId=arn, RotationLambdaARN=lambda_arn(srv.creds.account_id, "hook"),
                         RotateImmediately=False, RotationRules={"AutomaticallyAfterDays": 1})
    first = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    clocks(3 * 86400)
    wait_for(lambda: client.describe_secret(SecretId=arn).get("LastRotatedDate"), ROTATION_TIMEOUT_S,
             "the sweeper to start the scheduled rotation")
    assert hook.steps_for(arn) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    now = client.describe_secret(SecretId=arn)
    token = holder(client, arn, "AWSCURRENT")
    assert token not in first and client.get_secret_value(SecretId=arn)["SecretString"].endswith(token)
    assert close_to_now(now["NextRotationDate"], offset_s=4 * 86400, slack_s=86400)


def test_postgres_single_user_rotation(rsm, rotation_server, postgres, name):
    user = "single_" + uuid.uuid4().hex[:8]
    postgres.create_role(user, "initial-Pw-1")
    rsm.create_secret(Name=name, SecretString=postgres.secret(user, "initial-Pw-1"))
    token = rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id,
                                                                          "pg-single"))["VersionId"]
    new = json.loads(rotated(rsm, name, token)["SecretString"])
    assert new["username"] == user and new["password"] != "initial-Pw-1"
    assert (new["host"], new["port"], new["dbname"]) == ("127.0.0.1", postgres.port, "postgres")
    assert postgres.can_login(user, new["password"])
    assert not postgres.can_login(user, "initial-Pw-1")
    previous = json.loads(rsm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == "initial-Pw-1"


def test_postgres_alternating_users_rotation(rsm, rotation_server, postgres, name):
    user = "alt_" + uuid.uuid4().hex[:8]
    master = "master_" + uuid.uuid4().hex[:8]
    postgres.create_role(master, "Master-Pw-1", superuser=True)
    postgres.create_role(user, "Alt-Pw-0")
    master_arn = rsm.create_secret(Name=name + "-master", SecretString=postgres.secret(master, "Master-Pw-1"))["ARN"]
    rsm.create_secret(Name=name, SecretString=postgres.secret(user, "Alt-Pw-0", masterarn=master_arn))
    fn = lambda_arn(rotation_server.creds.account_id, "pg-alternating")
    first = json.loads(rotated(rsm, name, rsm.rotate_secret(SecretId=name, RotationLambdaARN=fn)["VersionId"])[
        "SecretString"])
    assert first["username"] == user + "_clone" and first["masterarn"] == master_arn
    assert postgres.can_login(user + "_clone", first["password"])
    assert postgres.can_login(user, "Alt-Pw-0")  # the other user keeps working until the next rotation
    second = json.loads(rotated(rsm, name, rsm.rotate_secret(SecretId=name)["VersionId"])["SecretString"])
    assert second["username"] == user and second["password"] not in ("Alt-Pw-0", first["password"])
    assert postgres.can_login(user, second["password"])
    assert not postgres.can_login(user, "Alt-Pw-0")
    assert postgres.can_login(user + "_clone", first["password"])


def test_postgres_masterarn_of_another_account_is_refused(rsm, rotation_server, postgres, trail, name):
    """The rotator reads masterarn with the service's rights, so a masterarn
    naming another account's secret must fail the rotation: Coffer never logs
    in with a foreign account's credentials; AWSCURRENT stays as it was."""
    victim = rotation_server.admin("create-account")["AccountId"]
    rotation_server.admin("create-user", "--account-id", victim, "--user-name", "owner")
    key = rotation_server.admin("create-access-key", "--account-id", victim, "--user-name", "owner")
    victim_sm = make_sm(rotation_server, Credentials(key["AccessKeyId"], key["SecretAccessKey"], victim))
    master = "master_" + uuid.uuid4().hex[:8]
    postgres.create_role(master, "Victim-Pw-1", superuser=True)
    foreign = victim_sm.create_secret(Name=name + "-victim", SecretString=postgres.secret(master, "Victim-Pw-1"))["ARN"]
    user = "alt_" + uuid.uuid4().hex[:8]
    postgres.create_role(user, "Alt-Pw-0")
    arn = rsm.create_secret(Name=name, SecretString=postgres.secret(user, "Alt-Pw-0", masterarn=foreign))["ARN"]
    current = holder(rsm, name, "AWSCURRENT")
    token = rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id,
                                                                          "pg-alternating"))["VersionId"]
    rotation_failed(trail, arn)
    assert stages_of(rsm, name) == {current: ["AWSCURRENT"], token: ["AWSPENDING"]}
    pending = json.loads(rsm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"])
    assert not postgres.can_login(pending["username"], pending["password"])


def test_postgres_wrong_master_password_then_retry(rsm, rotation_server, postgres, trail, name):
    user = "alt_" + uuid.uuid4().hex[:8]
    master = "master_" + uuid.uuid4().hex[:8]
    postgres.create_role(master, "Master-Pw-1", superuser=True)
    postgres.create_role(user, "Alt-Pw-0")
    master_arn = rsm.create_secret(Name=name + "-master", SecretString=postgres.secret(master, "wrong"))["ARN"]
    arn = rsm.create_secret(Name=name, SecretString=postgres.secret(user, "Alt-Pw-0", masterarn=master_arn))["ARN"]
    current = holder(rsm, name, "AWSCURRENT")
    token = rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id,
                                                                          "pg-alternating"))["VersionId"]
    events = rotation_failed(trail, arn)
    assert "wrong" not in json.dumps(events) and "Alt-Pw-0" not in json.dumps(events)
    assert stages_of(rsm, name) == {current: ["AWSCURRENT"], token: ["AWSPENDING"]}
    assert json.loads(rsm.get_secret_value(SecretId=name)["SecretString"])["password"] == "Alt-Pw-0"
    assert postgres.can_login(user, "Alt-Pw-0")
    # Fixing the master secret lets the sweeper's retry of the same version finish.
    rsm.put_secret_value(SecretId=master_arn, SecretString=postgres.secret(master, "Master-Pw-1"))
    new = json.loads(rotated(rsm, name, token)["SecretString"])
    assert new["username"] == user + "_clone" and postgres.can_login(new["username"], new["password"])
    assert holder(rsm, name, "AWSPREVIOUS") == current


def test_postgres_stopped_server_then_retry(rsm, rotation_server, postgres, trail, name):
    user = "single_" + uuid.uuid4().hex[:8]
    postgres.create_role(user, "Before-Pw-1")
    arn = rsm.create_secret(Name=name, SecretString=postgres.secret(user, "Before-Pw-1"))["ARN"]
    current = holder(rsm, name, "AWSCURRENT")
    postgres.stop()
    try:
        token = rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id,
                                                                              "pg-single"))["VersionId"]
        rotation_failed(trail, arn)
        assert stages_of(rsm, name) == {current: ["AWSCURRENT"], token: ["AWSPENDING"]}
        assert json.loads(rsm.get_secret_value(SecretId=name)["SecretString"])["password"] == "Before-Pw-1"
    finally:
        postgres.start()
    new = json.loads(rotated(rsm, name, token)["SecretString"])
    assert postgres.can_login(user, new["password"])
    assert not postgres.can_login(user, "Before-Pw-1")


# --------------------------------------------------------------------------
# The aws CLI
# --------------------------------------------------------------------------


def test_aws_cli_secretsmanager(aws_cli, tmp_path, account_id):
    name = "cli/" + uuid.uuid4().hex[:10]
    created = aws_cli("secretsmanager", "create-secret", "--name", name, "--secret-string", "from-cli",
                      "--tags", "Key=via,Value=cli")
    assert re.fullmatch(ARN_RE.format(region=REGION, account=account_id, name=re.escape(name)), created["ARN"])
    assert aws_cli("secretsmanager", "get-secret-value", "--secret-id", name,
                   "--query", "SecretString", output="text") == "from-cli"
    blob = tmp_path / "value.bin"
    blob.write_bytes(b"\x00\x01binary")
    put = aws_cli("secretsmanager", "put-secret-value", "--secret-id", created["ARN"],
                  "--secret-binary", f"fileb://{blob}")
    got = aws_cli("secretsmanager", "get-secret-value", "--secret-id", name)
    assert (got["VersionId"], base64.b64decode(got["SecretBinary"])) == (put["VersionId"], b"\x00\x01binary")
    listed = aws_cli("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}")
    assert [s["Name"] for s in listed["SecretList"]] == [name]
    password = aws_cli("secretsmanager", "get-random-password", "--password-length", "20",
                       "--exclude-punctuation", "--query", "RandomPassword", output="text")
    assert len(password) == 20 and password.isalnum()
    aws_cli("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    failed = aws_cli("secretsmanager", "describe-secret", "--secret-id", name, check=False)
    assert failed.returncode != 0 and "ResourceNotFoundException" in failed.stderr
    other = aws_cli("secretsmanager", "create-secret", "--name", name + "-2", "--secret-string", "x")
    failed = aws_cli("secretsmanager", "delete-secret", "--secret-id", other["ARN"], "--recovery-window-in-days",
                     "3", check=False)
    assert failed.returncode != 0
    assert "InvalidParameterException" in failed.stderr and "RecoveryWindowInDays" in failed.stderr


# --------------------------------------------------------------------------
# Rotation checks between the steps, the rotators file, the version limit
# --------------------------------------------------------------------------


def test_rotation_fails_when_create_secret_leaves_no_pending_version(rsm, rotation_server, hook, trail, name):
    """After createSecret the new version must carry AWSPENDING (as AWS checks)."""
    arn = rsm.create_secret(Name=name, SecretString="s0")["ARN"]
    current = holder(rsm, name, "AWSCURRENT")
    hook.skip.add(arn)
    try:
        rsm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(rotation_server.creds.account_id, "hook"))
        rotation_failed(trail, arn)
        assert hook.steps_for(arn)[0] == "createSecret" and "setSecret" not in hook.steps_for(arn)
        assert stages_of(rsm, name) == {current: ["AWSCURRENT"]}
    finally:
        rsm.cancel_rotate_secret(SecretId=name)
        hook.skip.discard(arn)


@pytest.mark.parametrize("doc, why", [
    ({"rotators": []}, '{"functions": [...]}'),
    ({"functions": [{"type": "webhook"}]}, "needs a name and a type"),
    ({"functions": [{"name": "f", "type": "lambda"}]}, "unknown type lambda"),
    ({"functions": [{"name": "f", "type": "webhook", "hmac_key_env": HOOK_KEY_ENV}]}, "rotator f: a webhook needs a url"),
    ({"functions": [{"name": "f", "type": "webhook", "url": "http://127.0.0.1:1/"}]}, "needs hmac_key_env"),
    ({"functions": [{"name": "f", "type": "webhook", "url": "http://127.0.0.1:1/",
                     "hmac_key_env": "COFFER_IT_UNSET_" + uuid.uuid4().hex}]}, "is not set"),
])
def test_bad_rotators_file_stops_the_server(tmp_path, doc, why):
    path = tmp_path / "rotators.json"
    path.write_text(json.dumps(doc))
    out = subprocess.run([COFFER_BIN, "serve", "--data-dir", str(tmp_path / "data"), "--listen", "127.0.0.1:0",
                          "--rotators", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert why in out.stdout + out.stderr, out.stdout + out.stderr


def test_at_most_100_versions_younger_than_a_day(fresh_server, clocks):  # noqa: F811
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--quotas", "false"])
    client = make_sm(srv)
    client.create_secret(Name="busy", SecretString="0")
    for i in range(1, 100):
        client.put_secret_value(SecretId="busy", SecretString=str(i))
    sm_error("LimitExceededException", client.put_secret_value, "100", "versions", SecretId="busy",
             SecretString="100")
    assert client.get_secret_value(SecretId="busy")["SecretString"] == "99"
    # A day later the unlabelled versions may go, and the write succeeds.
    clocks(86400 + 600)
    client.put_secret_value(SecretId="busy", SecretString="100")
    versions = client.list_secret_version_ids(SecretId="busy", IncludeDeprecated=True)["Versions"]
    assert len(versions) == 100
    assert client.get_secret_value(SecretId="busy", VersionStage="AWSPREVIOUS")["SecretString"] == "99"
