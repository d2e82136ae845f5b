"""Wire protocol: AWS JSON 1.1 framing, SigV4 authentication, error shape, keep-alive, TLS.

Requests here are built by hand with http.client and signed with botocore's own
SigV4 signer, so each check feeds the server exactly one defect.
"""

import datetime
import http.client
import json
import ssl
import urllib.parse
import warnings
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from conftest import AWS_HTTP_STATUS, REGION, make_kms

JSON_CT = "application/x-amz-json-1.1"


def host_port(server):
    parsed = urllib.parse.urlparse(server.endpoint)
    return parsed.hostname, parsed.port


def sign(server, target, body, access_key=None, secret_key=None, region=REGION,
         at=None, extra=None):
    """Headers of a SigV4-signed TrentService request, signed at time `at` (UTC)."""
    headers = {"Content-Type": JSON_CT, "X-Amz-Target": f"TrentService.{target}"}
    headers.update(extra or {})
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers=headers)
    creds = BotoCredentials(access_key or server.creds.access_key_id,
                            secret_key or server.creds.secret_access_key)
    signer = SigV4Auth(creds, "kms", region)
    if at is None:
        signer.add_auth(req)
    else:
        class FixedClock(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return at
        with mock.patch("botocore.auth.datetime.datetime", FixedClock):
            signer.add_auth(req)
    return dict(req.headers.items())


def send(conn, headers, body, path="/", method="POST"):
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    return resp, raw


def post(server, headers, body, path="/"):
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        return send(conn, headers, body, path)
    finally:
        conn.close()


def assert_aws_error(resp, raw, expected_type, status=None):
    """The response is an AWS JSON 1.1 error of `expected_type`."""
    status = status if status is not None else AWS_HTTP_STATUS[expected_type]
    assert resp.status == status, (resp.status, raw[:300])
    assert resp.getheader("x-amzn-RequestId"), "missing x-amzn-RequestId"
    error_type = resp.getheader("x-amzn-ErrorType")
    assert error_type, "missing x-amzn-ErrorType"
    assert error_type.split(":")[0] == expected_type, error_type
    body = json.loads(raw)
    assert body["__type"].split("#")[-1] == expected_type, body
    message = body.get("message", body.get("Message"))
    assert isinstance(message, str), body
    return body


def test_signed_request_succeeds(server):
    body = json.dumps({"NumberOfBytes": 16}).encode()
    resp, raw = post(server, sign(server, "GenerateRandom", body), body)
    assert resp.status == 200, raw
    assert resp.getheader("x-amzn-RequestId")
    assert resp.getheader("Content-Type").startswith("application/x-amz-json-1.1")
    assert len(json.loads(raw)["Plaintext"]) == 24  # base64 of 16 bytes


def test_unknown_target_is_unknown_operation(server):
    body = b"{}"
    resp, raw = post(server, sign(server, "DoSomethingImpossible", body), body)
    assert_aws_error(resp, raw, "UnknownOperationException")


def test_missing_target_is_unknown_operation(server):
    body = b"{}"
    # Correctly signed, only the X-Amz-Target header is absent.
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": JSON_CT})
    SigV4Auth(BotoCredentials(server.creds.access_key_id, server.creds.secret_access_key),
              "kms", REGION).add_auth(req)
    resp, raw = post(server, dict(req.headers.items()), body)
    assert_aws_error(resp, raw, "UnknownOperationException")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2, 3]", b'{"KeyId": '])
def test_malformed_json_is_serialization_exception(server, body):
    resp, raw = post(server, sign(server, "DescribeKey", body), body)
    assert_aws_error(resp, raw, "SerializationException")


@pytest.mark.parametrize("target", ["Encrypt", "DescribeKey"])
def test_nesting_beyond_1024_levels_is_serialization_exception(server, target):
    # nlohmann would accept it; the server refuses it before any recursive reader
    # (validation, audit record, nlohmann copy) sees it. An undeclared member, so
    # validation alone would not have stopped it.
    body = b'{"KeyId":"alias/x","Extra":' + b"[" * 2000 + b"]" * 2000 + b"}"
    resp, raw = post(server, sign(server, target, body), body)
    assert_aws_error(resp, raw, "SerializationException", status=400)


def test_wrong_member_type_is_serialization_exception(server):
    body = json.dumps({"NumberOfBytes": "sixteen"}).encode()
    resp, raw = post(server, sign(server, "GenerateRandom", body), body)
    assert_aws_error(resp, raw, "SerializationException")


def test_missing_required_member_is_validation_exception(server):
    body = b"{}"
    resp, raw = post(server, sign(server, "DescribeKey", body), body)
    body = assert_aws_error(resp, raw, "ValidationException")
    assert "keyid" in body.get("message", body.get("Message", "")).lower()


def test_no_authorization_is_missing_authentication_token(server):
    body = b"{}"
    headers = {"Content-Type": JSON_CT, "X-Amz-Target": "TrentService.ListKeys",
               "X-Amz-Date": datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")}
    resp, raw = post(server, headers, body)
    assert_aws_error(resp, raw, "MissingAuthenticationTokenException")


def test_bad_signature_is_invalid_signature(server):
    body = b"{}"
    headers = sign(server, "ListKeys", body)
    auth = headers["Authorization"]
    last = auth[-1]
    headers["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")
    resp, raw = post(server, headers, body)
    assert_aws_error(resp, raw, "InvalidSignatureException")


def test_body_changed_after_signing_is_invalid_signature(server):
    signed_body = json.dumps({"NumberOfBytes": 16}).encode()
    sent_body = json.dumps({"NumberOfBytes": 17}).encode()
    headers = sign(server, "GenerateRandom", signed_body)
    headers["Content-Length"] = str(len(sent_body))
    resp, raw = post(server, headers, sent_body)
    assert_aws_error(resp, raw, "InvalidSignatureException")


def test_wrong_secret_is_invalid_signature(server):
    body = b"{}"
    headers = sign(server, "ListKeys", body, secret_key="not-the-secret-" + "x" * 25)
    resp, raw = post(server, headers, body)
    assert_aws_error(resp, raw, "InvalidSignatureException")


def test_unknown_access_key_is_unrecognized_client(server):
    body = b"{}"
    headers = sign(server, "ListKeys", body, access_key="AKIAZZZZZZZZZZZZZZZZ",
                   secret_key="whatever-secret-key-value-0000000000000")
    resp, raw = post(server, headers, body)
    assert_aws_error(resp, raw, "UnrecognizedClientException")


def test_signature_expired(server):
    body = b"{}"
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    resp, raw = post(server, sign(server, "ListKeys", body, at=old), body)
    body = assert_aws_error(resp, raw, "InvalidSignatureException")
    assert "signature expired" in body.get("message", body.get("Message", "")).lower()


def test_signature_from_the_future_is_rejected(server):
    body = b"{}"
    future = datetime.datetime.utcnow() + datetime.timedelta(minutes=20)
    resp, raw = post(server, sign(server, "ListKeys", body, at=future), body)
    body = assert_aws_error(resp, raw, "InvalidSignatureException")
    assert "signature" in body.get("message", body.get("Message", "")).lower()


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/kms/aws4_request",
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/kms/aws4_request, "
    "SignedHeaders=host;x-amz-date",
    "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abcdef",
])
def test_malformed_authorization_is_incomplete_signature(server, authorization):
    body = b"{}"
    headers = sign(server, "ListKeys", body)
    headers["Authorization"] = authorization
    resp, raw = post(server, headers, body)
    assert_aws_error(resp, raw, "IncompleteSignatureException")


def test_signature_for_another_service_is_rejected(server):
    body = b"{}"
    headers = {"Content-Type": JSON_CT, "X-Amz-Target": "TrentService.ListKeys"}
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers=headers)
    SigV4Auth(BotoCredentials(server.creds.access_key_id, server.creds.secret_access_key),
              "s3", REGION).add_auth(req)
    resp, raw = post(server, dict(req.headers.items()), body)
    assert 400 <= resp.status < 500, raw
    assert json.loads(raw)["__type"].split("#")[-1] in (
        "InvalidSignatureException", "IncompleteSignatureException")


def test_very_large_body_is_rejected_cleanly(server):
    body = b'{"Plaintext": "' + b"A" * (2 * 1024 * 1024) + b'", "KeyId": "alias/x"}'
    headers = sign(server, "Encrypt", body)
    conn = http.client.HTTPConnection(*host_port(server), timeout=60)
    try:
        try:
            conn.request("POST", "/", body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    assert 400 <= resp.status < 500, (resp.status, raw[:300])
    assert resp.getheader("x-amzn-RequestId")
    payload = json.loads(raw)
    assert payload["__type"]
    # The server is still healthy afterwards.
    ok_body = b'{"NumberOfBytes": 8}'
    resp, raw = post(server, sign(server, "GenerateRandom", ok_body), ok_body)
    assert resp.status == 200


def test_keep_alive_serves_several_requests_on_one_connection(server):
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        body = json.dumps({"NumberOfBytes": 8}).encode()
        resp, _ = send(conn, sign(server, "GenerateRandom", body), body)
        assert resp.status == 200
        assert (resp.getheader("Connection") or "").lower() != "close"
        sock = conn.sock
        assert sock is not None, "server closed the connection after one request"
        for i in range(5):
            body = json.dumps({"NumberOfBytes": 8 + i}).encode()
            resp, raw = send(conn, sign(server, "GenerateRandom", body), body)
            assert resp.status == 200, raw
            assert conn.sock is sock, f"connection was reopened before request {i + 2}"
        # An error response keeps the connection usable too.
        resp, raw = send(conn, sign(server, "NoSuchOperation", b"{}"), b"{}")
        assert resp.status == 400
        body = b"{}"
        resp, raw = send(conn, sign(server, "ListKeys", body), body)
        assert resp.status == 200, raw
        assert conn.sock is sock
    finally:
        conn.close()


def test_healthz(server):
    conn = http.client.HTTPConnection(*host_port(server), timeout=10)
    try:
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    finally:
        conn.close()


def test_every_error_carries_request_id_and_error_type(kms):
    # Through boto3: the request id header reaches the client's metadata.
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as info:
        kms.describe_key(KeyId="alias/does-not-exist-anywhere")
    meta = info.value.response["ResponseMetadata"]
    assert meta["RequestId"]
    assert meta["HTTPHeaders"]["x-amzn-errortype"].startswith("NotFoundException")


def test_tls_self_signed_serves_kms(fresh_server):
    srv = fresh_server(tls=True)
    assert srv.endpoint.startswith("https://127.0.0.1:")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kms = make_kms(srv)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"over tls")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"over tls"
    # Unsigned endpoints are served over TLS as well.
    host, port = host_port(srv)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
    try:
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    finally:
        conn.close()
