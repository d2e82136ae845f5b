"""External key stores end to end: two real Coffer processes.

One Coffer serves the XKS Proxy API (`--xks-proxy`, HTTPS with a test CA,
its own KMS keys as the external keys); the other is the KMS whose
EXTERNAL_KEY_STORE custom key store points at it. boto3 drives the KMS node;
botocore's SigV4Auth (service kms-xks-proxy) calls the proxy directly, the
way AWS KMS itself would.
"""

import json
import os
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from conftest import REGION, CofferServer, b64, make_kms

URI_PATH = "/tenant-a/kms/xks/v1"
ACCESS_KEY_ID = "XKSPROXYACCESSKEY2345"          # 21 of A-Z 2-7
SECRET = "c29tZS1zZWNyZXQtYWNjZXNzLWtleS1mb3ItdGhlLXByb3h5"  # 48 of base64 characters
WRONG_SECRET = "d29uZy1zZWNyZXQtYWNjZXNzLWtleS1mb3ItdGhlLXByb3h5"
STORE_ENDPOINT = "https://xks-proxy.test"


def expect_kms_error(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    err = info.value.response
    assert err["Error"]["Code"] == code, f"expected {code}, got {err['Error']}"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err["Error"].get("Message", "")


@pytest.fixture
def tls_cert(tmp_path):
    cert, key = tmp_path / "proxy-cert.pem", tmp_path / "proxy-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def proxy(tmp_path, tls_cert):
    cred = tmp_path / "xks-credential.json"
    cred.write_text(json.dumps({"AccessKeyId": ACCESS_KEY_ID, "RawSecretAccessKey": SECRET}))
    os.chmod(cred, 0o600)
    cert, key = tls_cert
    srv = CofferServer(tmp_path / "proxy", extra_args=[
        "--tls-cert", str(cert), "--tls-key", str(key), "--xks-proxy", "--xks-proxy-uri-path", URI_PATH,
        "--xks-proxy-credential-file", str(cred)]).start()
    yield srv
    if srv.proc is not None:
        assert srv.stop() == 0


@pytest.fixture
def kms_node(tmp_path, tls_cert, proxy):
    # AWS's XksProxyUriEndpoint pattern has no port: the store names
    # https://xks-proxy.test and the KMS node maps it to the proxy's port.
    srv = CofferServer(tmp_path / "kms", extra_args=[
        "--xks-ca-bundle", str(tls_cert[0]),
        "--xks-endpoint-map", f"{STORE_ENDPOINT}={proxy_endpoint(proxy)}"]).start()
    yield srv
    if srv.proc is not None:
        assert srv.stop() == 0


def proxy_endpoint(proxy):
    return f"https://localhost:{proxy.port}"


def create_store(kms, proxy, name="xks-store", secret=SECRET):
    return kms.create_custom_key_store(
        CustomKeyStoreName=name, CustomKeyStoreType="EXTERNAL_KEY_STORE",
        XksProxyUriEndpoint=STORE_ENDPOINT, XksProxyUriPath=URI_PATH,
        XksProxyConnectivity="PUBLIC_ENDPOINT",
        XksProxyAuthenticationCredential={"AccessKeyId": ACCESS_KEY_ID, "RawSecretAccessKey": secret},
    )["CustomKeyStoreId"]


def store_state(kms, store_id):
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]
    return entry["ConnectionState"], entry.get("ConnectionErrorCode")


def connect(kms, store_id):
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    return store_state(kms, store_id)


def signed_proxy_call(proxy, cert, path, body, secret=SECRET, method="POST"):
    """One XKS request signed by botocore, as a third-party client (AWS KMS) signs it."""
    url = proxy_endpoint(proxy) + URI_PATH + path
    data = json.dumps(body).encode()
    request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(BotoCredentials(ACCESS_KEY_ID, secret), "kms-xks-proxy", REGION).add_auth(request)
    prepared = urllib.request.Request(url, data=data, method=method, headers=dict(request.headers.items()))
    context = ssl.create_default_context(cafile=str(cert))
    try:
        with urllib.request.urlopen(prepared, context=context, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def metadata(operation, key_arn="arn:aws:kms:us-east-1:111122223333:key/test"):
    return {"awsPrincipalArn": "arn:aws:iam::111122223333:user/alice", "kmsKeyArn": key_arn,
            "kmsOperation": operation, "kmsRequestId": str(uuid.uuid4())}


def test_third_party_sigv4_client_calls_the_proxy(proxy, tls_cert):
    cert = tls_cert[0]
    key_id = make_kms(proxy).create_key()["KeyMetadata"]["KeyId"]

    status, health = signed_proxy_call(proxy, cert, "/health",
                                       {"requestMetadata": {"kmsRequestId": "r1", "kmsOperation": "KmsHealthCheck"}})
    assert status == 200, health
    assert health["ekmFleetDetails"][0]["healthStatus"] == "ACTIVE"
    assert health["xksProxyFleetSize"] >= 1

    status, described = signed_proxy_call(proxy, cert, f"/keys/{key_id}/metadata",
                                          {"requestMetadata": metadata("DescribeKey")})
    assert status == 200 and described == {"keySpec": "AES_256", "keyUsage": ["ENCRYPT", "DECRYPT"],
                                            "keyStatus": "ENABLED"}

    aad = b64(b"project=nile")
    status, sealed = signed_proxy_call(proxy, cert, f"/keys/{key_id}/encrypt", {
        "requestMetadata": metadata("Encrypt"), "plaintext": b64(b"Hello World!"), "encryptionAlgorithm": "AES_GCM",
        "additionalAuthenticatedData": aad, "ciphertextDataIntegrityValueAlgorithm": "SHA_256"})
    assert status == 200, sealed
    assert {"ciphertext", "initializationVector", "authenticationTag", "ciphertextDataIntegrityValue"} <= set(sealed)
    decrypt_body = {"requestMetadata": metadata("Decrypt"), "encryptionAlgorithm": "AES_GCM",
                    "additionalAuthenticatedData": aad, **{k: sealed[k] for k in (
                        "ciphertext", "ciphertextMetadata", "initializationVector", "authenticationTag")}}
    status, opened = signed_proxy_call(proxy, cert, f"/keys/{key_id}/decrypt", decrypt_body)
    assert status == 200 and opened == {"plaintext": b64(b"Hello World!")}

    status, refused = signed_proxy_call(proxy, cert, f"/keys/{key_id}/decrypt",
                                        {**decrypt_body, "additionalAuthenticatedData": b64(b"other")})
    assert (status, refused["errorName"]) == (400, "InvalidCiphertextException")
    status, refused = signed_proxy_call(proxy, cert, "/health", {"requestMetadata": {}}, secret=WRONG_SECRET)
    assert (status, refused["errorName"]) == (401, "AuthenticationFailedException")
    status, refused = signed_proxy_call(proxy, cert, f"/keys/{key_id}/rotate", {"requestMetadata": metadata("X")})
    assert (status, refused["errorName"]) == (404, "InvalidUriPathException")
    status, refused = signed_proxy_call(proxy, cert, "/keys/no-such-key/metadata",
                                        {"requestMetadata": metadata("CreateKey")})
    assert (status, refused["errorName"]) == (404, "KeyNotFoundException")
    # The proxy's own KMS front still answers next to it.
    assert make_kms(proxy).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_external_key_store_end_to_end(proxy, kms_node):
    proxy_kms, kms = make_kms(proxy), make_kms(kms_node)
    external = proxy_kms.create_key(Description="external key")["KeyMetadata"]["KeyId"]

    store_id = create_store(kms, proxy)
    assert store_state(kms, store_id)[0] == "DISCONNECTED"
    assert connect(kms, store_id) == ("CONNECTED", None)

    key = kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId=external)["KeyMetadata"]
    assert key["Origin"] == "EXTERNAL_KEY_STORE"
    assert key["CustomKeyStoreId"] == store_id
    assert key["XksKeyConfiguration"] == {"Id": external}
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["XksKeyConfiguration"] == {"Id": external}

    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"double", EncryptionContext={"a": "b"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"double"
    expect_kms_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "c"})

    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    without = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=16)
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 16

    local = kms.create_key()["KeyMetadata"]["KeyId"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "b"}, DestinationKeyId=local)
    back = kms.re_encrypt(CiphertextBlob=moved["CiphertextBlob"], DestinationKeyId=key["KeyId"],
                          DestinationEncryptionContext={"a": "b"})
    assert kms.decrypt(CiphertextBlob=back["CiphertextBlob"], EncryptionContext={"a": "b"})["Plaintext"] == b"double"

    # Double encryption: Coffer's own KMS layer is not enough once the
    # external key is disabled in the proxy, and all is well when it returns.
    proxy_kms.disable_key(KeyId=external)
    message = expect_kms_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob,
                               EncryptionContext={"a": "b"})
    assert "not enabled in the external key manager" in message
    expect_kms_error("KMSInvalidStateException", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    proxy_kms.enable_key(KeyId=external)
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"double"


def test_create_key_checks_the_external_key(proxy, kms_node):
    proxy_kms, kms = make_kms(proxy), make_kms(kms_node)
    store_id = create_store(kms, proxy)
    assert connect(kms, store_id)[0] == "CONNECTED"

    expect_kms_error("XksKeyNotFoundException", kms.create_key, Origin="EXTERNAL_KEY_STORE",
                     CustomKeyStoreId=store_id, XksKeyId="no-such-external-key")

    disabled = proxy_kms.create_key()["KeyMetadata"]["KeyId"]
    proxy_kms.disable_key(KeyId=disabled)
    expect_kms_error("XksKeyInvalidConfigurationException", kms.create_key, Origin="EXTERNAL_KEY_STORE",
                     CustomKeyStoreId=store_id, XksKeyId=disabled)

    rsa = proxy_kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect_kms_error("XksKeyInvalidConfigurationException", kms.create_key, Origin="EXTERNAL_KEY_STORE",
                     CustomKeyStoreId=store_id, XksKeyId=rsa)

    external = proxy_kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId=external)
    expect_kms_error("XksKeyAlreadyInUseException", kms.create_key, Origin="EXTERNAL_KEY_STORE",
                     CustomKeyStoreId=store_id, XksKeyId=external)


def connected_key(proxy, kms_node):
    """A CONNECTED external key store and a KMS key in it: (proxy client, KMS client, store id, key id)."""
    proxy_kms, kms = make_kms(proxy), make_kms(kms_node)
    external = proxy_kms.create_key()["KeyMetadata"]["KeyId"]
    store_id = create_store(kms, proxy)
    assert connect(kms, store_id)[0] == "CONNECTED"
    key_id = kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id,
                            XksKeyId=external)["KeyMetadata"]["KeyId"]
    return proxy_kms, kms, store_id, key_id


def test_disconnected_store_refuses_crypto_and_new_keys(proxy, kms_node):
    proxy_kms, kms, store_id, key_id = connected_key(proxy, kms_node)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"p")["CiphertextBlob"]

    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert store_state(kms, store_id)[0] == "DISCONNECTED"
    expect_kms_error("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"p")
    expect_kms_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    other = proxy_kms.create_key()["KeyMetadata"]["KeyId"]
    expect_kms_error("CustomKeyStoreInvalidStateException", kms.create_key, Origin="EXTERNAL_KEY_STORE",
                     CustomKeyStoreId=store_id, XksKeyId=other)

    assert connect(kms, store_id)[0] == "CONNECTED"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"


def test_stopped_proxy_fails_crypto_and_connect(proxy, kms_node):
    _, kms, store_id, key_id = connected_key(proxy, kms_node)

    assert proxy.stop() == 0
    message = expect_kms_error("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"p")
    assert "cannot communicate with the external key store proxy" in message

    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert connect(kms, store_id) == ("FAILED", "XKS_PROXY_NOT_REACHABLE")


def test_wrong_credential_fails_the_health_check(proxy, kms_node):
    kms = make_kms(kms_node)
    store_id = create_store(kms, proxy, name="wrong-secret", secret=WRONG_SECRET)
    state, code = connect(kms, store_id)
    assert state == "FAILED"
    # AWS: INVALID_CREDENTIALS is "one or both of the XksProxyAuthenticationCredential
    # values is not valid on the specified external key store proxy".
    assert code == "INVALID_CREDENTIALS"
    assert WRONG_SECRET not in proxy.log_text() and SECRET not in proxy.log_text()
    assert WRONG_SECRET not in kms_node.log_text()
