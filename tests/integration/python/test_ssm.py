"""Parameter Store (SSM) on Coffer's endpoint, driven with boto3 and the aws CLI.

Every error Parameter Store names is fed exactly the input that causes it.
The Expiration policy runs on the server's --test-clock: the test moves the
clock past the timestamp and waits (polling, with a deadline) for the sweeper.
"""

import datetime
import json
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from audit_helpers import cloudtrail_events, make_cloudtrail, write_config
from conftest import REGION, Credentials, boto_session, wait_for
from test_authorization import make_client
from test_session_expiry import clocks  # noqa: F401  (fixture)


def make_ssm(server):
    creds = server.creds
    return boto_session().client(
        "ssm", region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False))


@pytest.fixture(scope="module")
def ssm(server):
    return make_ssm(server)


@pytest.fixture
def prefix():
    return "/it/" + uuid.uuid4().hex[:10]


def error(code, fn, **kwargs):
    """Calls fn, asserts AWS error `code` with HTTP 400; returns the message."""
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    r = info.value.response
    assert r["Error"]["Code"] == code, r["Error"]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    return r["Error"].get("Message", "")


def test_put_get_overwrite_and_versions(ssm, prefix):
    name = prefix + "/db/host"
    assert ssm.put_parameter(Name=name, Value="db1", Type="String")["Version"] == 1
    error("ParameterAlreadyExists", ssm.put_parameter, Name=name, Value="db2", Type="String")
    out = ssm.put_parameter(Name=name, Value="db2", Type="String", Overwrite=True)
    assert (out["Version"], out["Tier"]) == (2, "Standard")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"], p["DataType"]) == ("db2", 2, "text")
    assert p["ARN"].endswith(":parameter" + name)
    assert ssm.get_parameter(Name=name + ":1")["Parameter"]["Value"] == "db1"
    error("ParameterVersionNotFound", ssm.get_parameter, Name=name + ":7")
    error("ParameterNotFound", ssm.get_parameter, Name=prefix + "/missing")


def test_name_rules(ssm, prefix):
    error("ValidationException", ssm.put_parameter, Name="/aws/x", Value="v", Type="String")
    error("ValidationException", ssm.put_parameter, Name="a/b", Value="v", Type="String")
    error("ValidationException", ssm.put_parameter, Name=prefix + "/new", Value="v")  # no Type
    deep = prefix + "".join(f"/l{i}" for i in range(13))  # 2 + 13 = 15 levels
    ssm.put_parameter(Name=deep, Value="v", Type="String")
    error("HierarchyLevelLimitExceededException", ssm.put_parameter, Name=deep + "/x", Value="v", Type="String")


def test_tiers_and_limits(ssm, prefix):
    big = "x" * 4097
    error("ValidationException", ssm.put_parameter, Name=prefix + "/big", Value=big, Type="String")
    assert ssm.put_parameter(Name=prefix + "/big", Value=big, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    error("ValidationException", ssm.put_parameter, Name=prefix + "/big2", Value="x" * 8193, Type="String",
          Tier="Advanced")
    assert ssm.put_parameter(Name=prefix + "/it", Value=big, Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    error("ValidationException", ssm.put_parameter, Name=prefix + "/big", Value="s", Type="String",
          Overwrite=True, Tier="Standard")


def test_type_pattern_and_data_type_errors(ssm, prefix):
    ssm.put_parameter(Name=prefix + "/s", Value="v", Type="String")
    error("HierarchyTypeMismatchException", ssm.put_parameter, Name=prefix + "/s", Value="v",
          Type="SecureString", Overwrite=True)
    error("InvalidAllowedPatternException", ssm.put_parameter, Name=prefix + "/p", Value="v", Type="String",
          AllowedPattern="(")
    msg = error("ParameterPatternMismatchException", ssm.put_parameter, Name=prefix + "/p",
                Value="topsecretvalue", Type="String", AllowedPattern=r"^\d+$")
    assert "topsecretvalue" not in msg
    error("ValidationException", ssm.put_parameter, Name=prefix + "/ami", Value="nope", Type="String",
          DataType="aws:ec2:image")
    ssm.put_parameter(Name=prefix + "/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    error("UnsupportedParameterType", ssm.put_parameter, Name=prefix + "/ami2", Value="ami-12345678",
          Type="StringList", DataType="aws:ec2:image")


def test_secure_string_through_kms(ssm, kms, prefix):
    name = prefix + "/password"
    ssm.put_parameter(Name=name, Value="hunter2", Type="SecureString")
    raw = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert raw != "hunter2"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name=name + "2", Value="s3cret", Type="SecureString", KeyId=key)
    assert ssm.get_parameter(Name=name + "2", WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name + "2"]}])[
        "Parameters"][0]["KeyId"] == key
    kms.disable_key(KeyId=key)
    error("InvalidKeyId", ssm.put_parameter, Name=name + "3", Value="v", Type="SecureString", KeyId=key)
    error("InvalidKeyId", ssm.put_parameter, Name=name + "3", Value="v", Type="SecureString",
          KeyId="alias/no-such-alias")


def test_get_parameters_selectors_and_labels(ssm, prefix):
    name = prefix + "/l"
    ssm.put_parameter(Name=name, Value="1", Type="String")
    ssm.put_parameter(Name=name, Value="2", Type="String", Overwrite=True)
    out = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "9bad"])
    assert out["InvalidLabels"] == ["9bad"]
    got = ssm.get_parameters(Names=[name, name + ":prod", name + ":5", prefix + "/none"])
    assert [p["Value"] for p in got["Parameters"]] == ["2", "1"]
    assert sorted(got["InvalidParameters"]) == sorted([name + ":5", prefix + "/none"])
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])  # moves
    hist = ssm.get_parameter_history(Name=name)["Parameters"]
    assert hist[0]["Labels"] == [] and hist[1]["Labels"] == ["prod"]
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    error("ParameterVersionLabelLimitExceeded", ssm.label_parameter_version, Name=name, ParameterVersion=1,
          Labels=["eleventh"])
    un = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["prod", "absent"])
    assert (un["RemovedLabels"], un["InvalidLabels"]) == (["prod"], ["absent"])


def test_history_keeps_100_versions(ssm, prefix):
    name = prefix + "/h"
    for i in range(101):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    versions = []
    for page in ssm.get_paginator("get_parameter_history").paginate(Name=name):
        versions += [p["Version"] for p in page["Parameters"]]
    assert versions == list(range(2, 102))
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["pinned"])
    error("ParameterMaxVersionLimitExceeded", ssm.put_parameter, Name=name, Value="x", Type="String",
          Overwrite=True)


def test_by_path_and_describe_filters(ssm, prefix):
    for n, t in (("/a", "String"), ("/b", "StringList"), ("/sub/c", "String")):
        ssm.put_parameter(Name=prefix + n, Value="v", Type=t)
    one = ssm.get_parameters_by_path(Path=prefix)["Parameters"]
    assert [p["Name"] for p in one] == [prefix + "/a", prefix + "/b"]
    names = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=prefix, Recursive=True,
                                                                     PaginationConfig={"PageSize": 1}):
        names += [p["Name"] for p in page["Parameters"]]
    assert names == [prefix + "/a", prefix + "/b", prefix + "/sub/c"]
    lists = ssm.get_parameters_by_path(Path=prefix, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}])
    assert [p["Name"] for p in lists["Parameters"]] == [prefix + "/b"]
    error("InvalidFilterKey", ssm.get_parameters_by_path, Path=prefix,
          ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    d = ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [prefix]}])
    assert len(d["Parameters"]) == 3
    error("ValidationException", ssm.describe_parameters, ParameterFilters=[{"Key": "Colour", "Values": ["x"]}])
    error("InvalidFilterKey", ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
    error("InvalidFilterValue", ssm.describe_parameters, ParameterFilters=[{"Key": "Type", "Values": ["Int"]}])
    error("InvalidFilterOption", ssm.describe_parameters,
          ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["String"]}])
    error("InvalidNextToken", ssm.describe_parameters, NextToken="garbage")


def test_tags_and_delete(ssm, prefix):
    name = prefix + "/t"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "a"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"env": "prod", "team": "a"}
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env"])
    assert len(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]) == 1
    error("InvalidResourceId", ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=prefix + "/x")
    ssm.delete_parameter(Name=name)
    error("ParameterNotFound", ssm.delete_parameter, Name=name)
    ssm.put_parameter(Name=name, Value="v", Type="String")
    out = ssm.delete_parameters(Names=[name, prefix + "/zz"])
    assert (out["DeletedParameters"], out["InvalidParameters"]) == ([name], [prefix + "/zz"])


def test_policy_errors(ssm, prefix):
    def put(policies, tier="Advanced"):
        return lambda: ssm.put_parameter(Name=prefix + "/pol", Value="v", Type="String", Tier=tier,
                                         Policies=policies)
    error("InvalidPolicyTypeException", lambda: put('[{"Type":"Forever","Version":"1.0","Attributes":{}}]')())
    error("InvalidPolicyAttributeException",
          lambda: put('[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"soon"}}]')())
    many = json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": str(i + 1)}}
                       for i in range(11)])
    error("PoliciesLimitExceededException", lambda: put(many)())


def test_service_settings(ssm, prefix):
    sid = "/ssm/parameter-store/high-throughput-enabled"
    assert ssm.get_service_setting(SettingId=sid)["ServiceSetting"]["SettingValue"] == "false"
    ssm.update_service_setting(SettingId=sid, SettingValue="true")
    assert ssm.get_service_setting(SettingId=sid)["ServiceSetting"]["SettingValue"] == "true"
    assert ssm.reset_service_setting(SettingId=sid)["ServiceSetting"]["SettingValue"] == "false"
    error("ServiceSettingNotFound", ssm.get_service_setting, SettingId="/ssm/unknown")
    error("ValidationException", ssm.update_service_setting, SettingId=sid, SettingValue="maybe")


def test_references_and_other_operations(ssm):
    error("ParameterNotFound", ssm.get_parameter, Name="/aws/service/ami-amazon-linux-latest/x")
    error("ValidationException", ssm.get_parameter, Name="/aws/reference/secretsmanager/db")
    error("UnsupportedOperationException", ssm.list_documents)


def test_secrets_manager_reference_returns_the_secret(ssm, server):
    """GetParameter(s) on /aws/reference/secretsmanager/<id> answers with the
    secret's value (AWS: "Referencing AWS Secrets Manager secrets from Parameter
    Store parameters"): Type SecureString, SourceResult the DescribeSecret
    output, a version id or a staging label after the colon."""
    sm = make_client(server, "secretsmanager", server.creds)
    name = "ref-" + uuid.uuid4().hex[:8]
    first = sm.create_secret(Name=name, SecretString="v1")
    second = sm.put_secret_value(SecretId=name, SecretString="v2")
    ref = "/aws/reference/secretsmanager/" + name
    p = ssm.get_parameter(Name=ref, WithDecryption=True)["Parameter"]
    assert (p["Value"], p["Type"], p["ARN"]) == ("v2", "SecureString", first["ARN"])
    assert json.loads(p["SourceResult"])["Name"] == name
    previous = ssm.get_parameter(Name=ref + ":AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert (previous["Value"], previous["Selector"]) == ("v1", ":AWSPREVIOUS")
    by_id = ssm.get_parameter(Name=ref + ":" + second["VersionId"], WithDecryption=True)["Parameter"]
    assert by_id["Value"] == "v2"
    got = ssm.get_parameters(Names=[ref, "/aws/reference/secretsmanager/missing-" + name],
                             WithDecryption=True)
    assert [x["Value"] for x in got["Parameters"]] == ["v2"]
    assert got["InvalidParameters"] == ["/aws/reference/secretsmanager/missing-" + name]
    error("ParameterNotFound", ssm.get_parameter, Name=ref + ":NOSUCHSTAGE", WithDecryption=True)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    error("ParameterNotFound", ssm.get_parameter, Name=ref, WithDecryption=True)


def test_reference_needs_secrets_manager_permission(ssm, server):
    """The caller needs ssm:GetParameter on the reference path and
    secretsmanager:GetSecretValue on the secret: Parameter Store's permission
    alone is AccessDenied, and so is Secrets Manager's alone."""
    iam = make_client(server, "iam", server.creds)
    sm = make_client(server, "secretsmanager", server.creds)
    name = "ref-authz-" + uuid.uuid4().hex[:8]
    arn = sm.create_secret(Name=name, SecretString="guarded")["ARN"]
    user = "bob-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    account = server.creds.account_id
    bob = make_client(server, "ssm", Credentials(key["AccessKeyId"], key["SecretAccessKey"], account))
    ssm_only = {"Effect": "Allow", "Action": "ssm:GetParameter",
                "Resource": f"arn:aws:ssm:{REGION}:{account}:parameter/aws/reference/secretsmanager/*"}
    sm_only = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": arn}

    def allow(*statements):
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))

    ref = "/aws/reference/secretsmanager/" + name
    allow(ssm_only)
    with pytest.raises(ClientError) as denied:
        bob.get_parameter(Name=ref, WithDecryption=True)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in denied.value.response["Error"]["Message"]
    allow(sm_only)
    with pytest.raises(ClientError) as denied:
        bob.get_parameter(Name=ref, WithDecryption=True)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "ssm:GetParameter" in denied.value.response["Error"]["Message"]
    allow(ssm_only, sm_only)
    assert bob.get_parameter(Name=ref, WithDecryption=True)["Parameter"]["Value"] == "guarded"


def test_values_stay_out_of_the_trail(ssm, server, prefix):
    name = prefix + "/trail"
    ssm.put_parameter(Name=name, Value="never-in-trail", Type="String")
    ssm.get_parameter(Name=name)
    cloudtrail = make_cloudtrail(server)

    def recorded():
        events = cloudtrail_events(cloudtrail, LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "PutParameter"}])
        return [e for e in events if e.get("requestParameters", {}).get("name") == name]
    wait_for(recorded, 30, "the PutParameter event in the trail")
    events = recorded()
    assert events[0]["eventSource"].startswith("ssm")
    assert "never-in-trail" not in json.dumps(events)
    gets = cloudtrail_events(cloudtrail, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "GetParameter"}])
    assert gets and "never-in-trail" not in json.dumps(gets)


def test_aws_cli_ssm(aws_cli, prefix):
    name = prefix + "/cli"
    out = aws_cli("ssm", "put-parameter", "--name", name, "--value", "a,b", "--type", "StringList")
    assert out["Version"] == 1
    assert aws_cli("ssm", "get-parameter", "--name", name)["Parameter"]["Value"] == "a,b"
    failed = aws_cli("ssm", "get-parameter", "--name", prefix + "/nope", check=False)
    assert failed.returncode != 0 and "ParameterNotFound" in failed.stderr


def test_expiration_policy_deletes_on_the_server_clock(fresh_server, clocks):  # noqa: F811
    srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--sweep-interval", "1"])
    ssm = make_ssm(srv)
    when = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    policy = json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": when}}])
    error("ValidationException", ssm.put_parameter, Name="/exp", Value="v", Type="String", Policies=policy)
    ssm.put_parameter(Name="/exp", Value="v", Type="String", Tier="Advanced", Policies=policy)
    meta = ssm.describe_parameters()["Parameters"][0]
    assert meta["Policies"][0]["PolicyType"] == "Expiration"
    clocks(2 * 3600)

    def gone():
        try:
            ssm.get_parameter(Name="/exp")
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ParameterNotFound"
    wait_for(gone, 30, "the sweeper to delete the expired parameter")


def test_policy_events_reach_the_webhook(fresh_server, clocks):  # noqa: F811
    import http.server
    import threading

    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    try:
        srv = fresh_server(extra_args=["--test-clock", str(clocks.file), "--sweep-interval", "1",
                                       "--ssm-policy-webhook", f"http://127.0.0.1:{hook.server_port}/events"])
        ssm = make_ssm(srv)
        policy = json.dumps([{"Type": "NoChangeNotification", "Version": "1.0",
                              "Attributes": {"After": "1", "Unit": "Hours"}}])
        ssm.put_parameter(Name="/quiet", Value="v", Type="String", Tier="Advanced", Policies=policy)
        clocks(2 * 3600)
        wait_for(lambda: received, 30, "the NoChangeNotification POST")
        event = received[0]
        assert event["source"] == "aws.ssm"
        assert event["detail-type"] == "Parameter Store Policy Action"
        assert event["detail"]["parameter-name"] == "/quiet"
        assert event["detail"]["policy-type"] == "NoChangeNotification"
        assert event["resources"] == [f"arn:aws:ssm:{REGION}:{srv.creds.account_id}:parameter/quiet"]
    finally:
        hook.shutdown()


def test_get_throughput_quota_and_the_higher_throughput_setting(fresh_server, tmp_path):
    """GetParameter, GetParameters and GetParametersByPath share one quota
    (40 TPS by AWS's default, 2 here); turning on
    /ssm/parameter-store/high-throughput-enabled moves the account to the
    higher quota (10,000 TPS), and resetting it moves it back. The server's
    clock is stopped (--test-clock "@<now>"), so no token comes back during a
    burst however slow the machine is."""
    clock_file = tmp_path / "stopped-clock"
    clock_file.write_text(f"@{int(time.time())}\n")
    srv = fresh_server(extra_args=["--test-clock", str(clock_file), "--quota-config", write_config(
        tmp_path, {"quotas": {"defaults": {"ssm:GetParameter": 2}}})])
    ssm = make_ssm(srv)
    ssm.put_parameter(Name="/q/a", Value="1", Type="String")

    def burst(n):
        throttled = []
        for i in range(n):
            try:
                if i % 2:
                    ssm.get_parameters_by_path(Path="/q")
                else:
                    ssm.get_parameter(Name="/q/a")
            except ClientError as err:
                throttled.append(err.response)
        return throttled
    throttled = burst(8)
    assert throttled, "eight Gets in a burst against a 2/s quota were all allowed"
    assert throttled[0]["Error"]["Code"] == "ThrottlingException"
    assert throttled[0]["Error"]["Message"] == "Rate exceeded"
    assert throttled[0]["ResponseMetadata"]["HTTPStatusCode"] == 400
    sid = "/ssm/parameter-store/high-throughput-enabled"

    def update(value):
        ssm.update_service_setting(SettingId=sid, SettingValue=value)
    update("true")
    assert burst(30) == []
    ssm.reset_service_setting(SettingId=sid)
    assert burst(8), "the default quota did not apply again after ResetServiceSetting"


def test_advanced_secure_string_of_8_kb(ssm, prefix):
    """Advanced-tier SecureStrings hold up to 8 KB (more than one KMS Encrypt
    takes), so they are envelope-encrypted under a KMS data key."""
    name = prefix + "/big-secret"
    value = "s" * 8192
    assert ssm.put_parameter(Name=name, Value=value, Type="SecureString", Tier="Advanced")["Tier"] == "Advanced"
    raw = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert value not in raw
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert history[0]["Value"] == value
    message = error("ValidationException", ssm.put_parameter, Name=name + "2", Value=value + "s",
                    Type="SecureString", Tier="Advanced")
    assert "8192" in message
