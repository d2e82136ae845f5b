"""KMS custom key stores of type AWS_CLOUDHSM end to end: real SoftHSM2 tokens
in a temporary directory stand for CloudHSM clusters (`coffer serve
--cloudhsm-cluster ID=MODULE:TOKEN_LABEL`), the real server, boto3 as the
client, OpenSC's pkcs11-tool to look inside the token.

SoftHSM2 and OpenSC are test dependencies (scripts/install-deps.sh): when they
are missing these tests fail, they do not skip.
"""

import sqlite3
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import make_kms, wait_for
from test_hsm import SOFTHSM_MODULE, USER_PIN, SoftHsm
from test_session_expiry import clocks  # noqa: F401  (fixture)

CLUSTER = "cluster-abcdefghijk"
SAME_TOKEN_CLUSTER = "cluster-abcdefghijm"  # a second id for CLUSTER's token: "related"
OTHER_CLUSTER = "cluster-zyxwvutsrqp"
MISSING_TOKEN_CLUSTER = "cluster-mmmmmmmmmmm"
UNKNOWN_STORE = "cks-00000000000000000"

TRUST_ANCHOR = """-----BEGIN CERTIFICATE-----
MIIBgjCCASmgAwIBAgIUG+fjUukcoU+xbg+Q78VEyTPy+DgwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMdHJ1c3QtYW5jaG9yMB4XDTI2MTIwNzEwMDUzNloXDTM2MTIw
NDEwMDUzNlowFzEVMBMGA1UEAwwMdHJ1c3QtYW5jaG9yMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEagbt83QXwZ42aQ0dJHiAy7gA9/u306MW075EQ9GtSdXJMcI4
SY6jvSOWWmewOW9irtiKIjNAmm2WYh44gKVWx6NTMFEwHQYDVR0OBBYEFDs6fPy+
V+//71X16V09TvcvIolOMB8GA1UdIwQYMBaAFDs6fPy+V+//71X16V09TvcvIolO
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgAyS6RjR3W4O1ZKgS
DexMnfIdbMTftsDhtY1mzv7hfUQCIH+abpUXb18JWhvc6R6u8RvwEo5Dp6OsWuTw
YNfyCTb1
-----END CERTIFICATE-----
"""


@pytest.fixture
def hsm(tmp_path, monkeypatch):
    token = SoftHsm(tmp_path / "softhsm", monkeypatch)
    token.init_token("cks-a")
    token.init_token("cks-b")
    return token


def cluster_args():
    return ["--cloudhsm-cluster", f"{CLUSTER}={SOFTHSM_MODULE}:cks-a",
            "--cloudhsm-cluster", f"{SAME_TOKEN_CLUSTER}={SOFTHSM_MODULE}:cks-a",
            "--cloudhsm-cluster", f"{OTHER_CLUSTER}={SOFTHSM_MODULE}:cks-b",
            "--cloudhsm-cluster", f"{MISSING_TOKEN_CLUSTER}={SOFTHSM_MODULE}:no-such-token"]


@pytest.fixture
def cks_server(fresh_server, hsm, tmp_path):
    return fresh_server(data_dir=tmp_path / "data", extra_args=cluster_args())


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def fails_with(code, call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    assert error_code(info) == code, info.value.response
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return info.value.response["Error"]["Message"]


def create_store(kms, name="hsm", cluster=CLUSTER, password=USER_PIN):
    return kms.create_custom_key_store(CustomKeyStoreName=name, CloudHsmClusterId=cluster,
                                       TrustAnchorCertificate=TRUST_ANCHOR,
                                       KeyStorePassword=password)["CustomKeyStoreId"]


def describe(kms, store_id):
    return kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]


def token_secret_keys(label):
    """(label, ID) of every secret key on the token, as pkcs11-tool lists them."""
    out = subprocess.run(["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", label,
                          "--login", "--pin", USER_PIN, "--list-objects", "--type", "secrkey"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    keys, current = [], {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("Secret Key Object"):
            current = {}
            keys.append(current)
        elif ":" in line and current is not None:
            name, value = line.split(":", 1)
            current[name.strip()] = value.strip()
    return keys


def stored_key_record(data_dir, key_id):
    """The key's record as the SQLite store holds it (read-only, WAL-aware)."""
    db = sqlite3.connect(f"file:{data_dir / 'coffer.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT v FROM kv WHERE tbl = 'keys'").fetchall()
    finally:
        db.close()
    import json
    for (value,) in rows:
        record = json.loads(value)
        if record["key_id"] == key_id:
            return record
    raise AssertionError(f"no stored record for {key_id}")


def test_full_lifecycle_keys_live_in_the_token(cks_server, tmp_path):
    kms = make_kms(cks_server)
    store_id = create_store(kms)
    assert store_id.startswith("cks-") and len(store_id) == 21
    entry = describe(kms, store_id)
    assert entry["ConnectionState"] == "DISCONNECTED"
    assert entry["CustomKeyStoreType"] == "AWS_CLOUDHSM"
    assert entry["CloudHsmClusterId"] == CLUSTER
    assert entry["TrustAnchorCertificate"] == TRUST_ANCHOR
    assert "KeyStorePassword" not in entry and USER_PIN not in str(entry)

    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)  # connecting a connected store succeeds

    meta = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id,
                          Description="in the token")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Origin"] == "AWS_CLOUDHSM"
    assert meta["CustomKeyStoreId"] == store_id
    assert meta["CloudHsmClusterId"] == CLUSTER
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CloudHsmClusterId"] == CLUSTER

    # The key is an object in the token, labelled with the key id; the data
    # directory keeps only its id.
    labels = [k.get("label") for k in token_secret_keys("cks-a")]
    assert labels == [key_id]
    record = stored_key_record(tmp_path / "data", key_id)
    assert record["custom_key_store_id"] == store_id
    assert [v["wrapped"] for v in record["versions"]] == [""]

    context = {"purpose": "cks"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"attack at dawn", EncryptionContext=context)["CiphertextBlob"]
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert out["Plaintext"] == b"attack at dawn"
    assert out["KeyId"] == meta["Arn"]
    fails_with("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
               EncryptionContext={"purpose": "other"})
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    soft = kms.create_key()["KeyMetadata"]["KeyId"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=context, DestinationKeyId=soft)
    back = kms.re_encrypt(CiphertextBlob=moved["CiphertextBlob"], DestinationKeyId=key_id)
    assert kms.decrypt(CiphertextBlob=back["CiphertextBlob"])["Plaintext"] == b"attack at dawn"

    random = kms.generate_random(NumberOfBytes=64, CustomKeyStoreId=store_id)["Plaintext"]
    assert len(random) == 64

    # Disconnected: the key's crypto and the store's random are refused.
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTED"
    fails_with("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    fails_with("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob, EncryptionContext=context)
    fails_with("KMSInvalidStateException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    fails_with("CustomKeyStoreInvalidStateException", kms.create_key, Origin="AWS_CLOUDHSM",
               CustomKeyStoreId=store_id)
    fails_with("CustomKeyStoreInvalidStateException", kms.generate_random, NumberOfBytes=8,
               CustomKeyStoreId=store_id)
    fails_with("CustomKeyStoreInvalidStateException", kms.disconnect_custom_key_store, CustomKeyStoreId=store_id)
    fails_with("CustomKeyStoreHasCMKsException", kms.delete_custom_key_store, CustomKeyStoreId=store_id)

    # A restart keeps the store's state; a CONNECTED store reconnects on first use.
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert cks_server.stop() == 0
    audit = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file() and "audit" in str(p))
    assert b"CreateCustomKeyStore" in audit, "the trail records the call"
    assert USER_PIN.encode() not in audit, "the key store password never reaches the trail"
    cks_server.start()
    kms = make_kms(cks_server)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"attack at dawn"

    fails_with("CustomKeyStoreInvalidStateException", kms.delete_custom_key_store, CustomKeyStoreId=store_id)
    fails_with("UnsupportedOperationException", kms.enable_key_rotation, KeyId=key_id)
    fails_with("UnsupportedOperationException", kms.rotate_key_on_demand, KeyId=key_id)


def test_deleting_a_key_destroys_its_token_object(fresh_server, hsm, tmp_path, clocks):  # noqa: F811
    srv = fresh_server(data_dir=tmp_path / "data",
                       extra_args=cluster_args() + ["--test-clock", str(clocks.file), "--sweep-interval", "1"])
    kms = make_kms(srv)
    store_id = create_store(kms)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    key_id = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]["KeyId"]
    kept = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]["KeyId"]
    assert sorted(k["label"] for k in token_secret_keys("cks-a")) == sorted([key_id, kept])
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clocks(8 * 86400)
    wait_for(lambda: [k["label"] for k in token_secret_keys("cks-a")] == [kept], 30,
             "the deleted key's token object to go")
    fails_with("NotFoundException", kms.describe_key, KeyId=key_id)


def test_a_wrong_password_fails_with_invalid_credentials(cks_server):
    kms = make_kms(cks_server)
    store_id = create_store(kms, password="wrong-pin-0")
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    entry = describe(kms, store_id)
    assert entry["ConnectionState"] == "FAILED"
    assert entry["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    fails_with("CustomKeyStoreInvalidStateException", kms.connect_custom_key_store, CustomKeyStoreId=store_id)
    fails_with("CustomKeyStoreInvalidStateException", kms.update_custom_key_store, CustomKeyStoreId=store_id,
               KeyStorePassword=USER_PIN)
    fails_with("CustomKeyStoreInvalidStateException", kms.create_key, Origin="AWS_CLOUDHSM",
               CustomKeyStoreId=store_id)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    kms.update_custom_key_store(CustomKeyStoreId=store_id, KeyStorePassword=USER_PIN)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    entry = describe(kms, store_id)
    assert entry["ConnectionState"] == "CONNECTED"
    assert "ConnectionErrorCode" not in entry
    assert "wrong-pin-0" not in cks_server.log_text() and USER_PIN not in cks_server.log_text()


def test_a_missing_token_fails_with_cluster_not_found(cks_server):
    kms = make_kms(cks_server)
    store_id = create_store(kms, cluster=MISSING_TOKEN_CLUSTER)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    entry = describe(kms, store_id)
    assert (entry["ConnectionState"], entry["ConnectionErrorCode"]) == ("FAILED", "CLUSTER_NOT_FOUND")


def test_create_errors(cks_server):
    kms = make_kms(cks_server)
    create_store(kms, name="taken")
    fails_with("CustomKeyStoreNameInUseException", create_store, kms, name="taken", cluster=OTHER_CLUSTER)
    fails_with("CloudHsmClusterInUseException", create_store, kms, name="second", cluster=CLUSTER)
    fails_with("CloudHsmClusterInUseException", create_store, kms, name="second", cluster=SAME_TOKEN_CLUSTER)
    fails_with("CloudHsmClusterNotFoundException", create_store, kms, name="second",
               cluster="cluster-nnnnnnnnnnn")
    fails_with("IncorrectTrustAnchorException", kms.create_custom_key_store, CustomKeyStoreName="second",
               CloudHsmClusterId=OTHER_CLUSTER, TrustAnchorCertificate="not a certificate",
               KeyStorePassword=USER_PIN)
    fails_with("ValidationException", kms.create_custom_key_store, CustomKeyStoreName="second",
               CloudHsmClusterId=OTHER_CLUSTER, TrustAnchorCertificate=TRUST_ANCHOR)
    fails_with("ValidationException", kms.create_custom_key_store, CustomKeyStoreName="second",
               CloudHsmClusterId=OTHER_CLUSTER, TrustAnchorCertificate=TRUST_ANCHOR,
               KeyStorePassword=USER_PIN, XksProxyUriPath="/kms/xks/v1")
    # The model's own rules: a cluster id of the wrong shape, a short password.
    fails_with("ValidationException", create_store, kms, name="second", cluster="cluster-1")
    fails_with("ValidationException", create_store, kms, name="second", cluster=OTHER_CLUSTER, password="123")
    # External key stores: the proxy URI must be https:// (AWS's pattern), the
    # VPC endpoint service name goes with VPC_ENDPOINT_SERVICE only.
    xks = dict(CustomKeyStoreName="xks", CustomKeyStoreType="EXTERNAL_KEY_STORE",
               XksProxyUriEndpoint="https://xks.example.com", XksProxyUriPath="/kms/xks/v1",
               XksProxyConnectivity="PUBLIC_ENDPOINT",
               XksProxyAuthenticationCredential={"AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
                                                 "RawSecretAccessKey": "a" * 43})
    fails_with("ValidationException", kms.create_custom_key_store,
               **{**xks, "XksProxyUriEndpoint": "http://xks.example.com"})
    fails_with("ValidationException", kms.create_custom_key_store,
               **{k: v for k, v in xks.items() if k != "XksProxyUriPath"})
    fails_with("ValidationException", kms.create_custom_key_store, **xks, CloudHsmClusterId=OTHER_CLUSTER)
    fails_with("ValidationException", kms.create_custom_key_store,
               **{**xks, "XksProxyConnectivity": "VPC_ENDPOINT_SERVICE"})
    fails_with("ValidationException", kms.create_custom_key_store, **xks,
               XksProxyVpcEndpointServiceName="com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0")
    xks_id = kms.create_custom_key_store(**xks)["CustomKeyStoreId"]
    fails_with("XksProxyUriInUseException", kms.create_custom_key_store, **{**xks, "CustomKeyStoreName": "xks2"})
    fails_with("UnsupportedOperationException", kms.generate_random, NumberOfBytes=8, CustomKeyStoreId=xks_id)
    entry = describe(kms, xks_id)
    assert entry["XksProxyConfiguration"] == {"Connectivity": "PUBLIC_ENDPOINT",
                                              "AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
                                              "UriEndpoint": "https://xks.example.com",
                                              "UriPath": "/kms/xks/v1"}


def test_update_rules(cks_server):
    kms = make_kms(cks_server)
    store_id = create_store(kms)
    create_store(kms, name="other", cluster=OTHER_CLUSTER)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    kms.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="renamed")
    assert describe(kms, store_id)["CustomKeyStoreName"] == "renamed"
    fails_with("CustomKeyStoreInvalidStateException", kms.update_custom_key_store, CustomKeyStoreId=store_id,
               CloudHsmClusterId=SAME_TOKEN_CLUSTER)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    fails_with("CustomKeyStoreNameInUseException", kms.update_custom_key_store, CustomKeyStoreId=store_id,
               NewCustomKeyStoreName="other")
    fails_with("CloudHsmClusterNotRelatedException", kms.update_custom_key_store, CustomKeyStoreId=store_id,
               CloudHsmClusterId=OTHER_CLUSTER)
    fails_with("CloudHsmClusterNotFoundException", kms.update_custom_key_store, CustomKeyStoreId=store_id,
               CloudHsmClusterId="cluster-nnnnnnnnnnn")
    fails_with("ValidationException", kms.update_custom_key_store, CustomKeyStoreId=store_id,
               XksProxyUriPath="/kms/xks/v1")
    kms.update_custom_key_store(CustomKeyStoreId=store_id, CloudHsmClusterId=SAME_TOKEN_CLUSTER)
    assert describe(kms, store_id)["CloudHsmClusterId"] == SAME_TOKEN_CLUSTER
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"


def test_describe_filters_and_pages(cks_server):
    kms = make_kms(cks_server)
    first_id = create_store(kms, name="a")
    second_id = create_store(kms, name="b", cluster=OTHER_CLUSTER)
    page = kms.describe_custom_key_stores(Limit=1)
    assert len(page["CustomKeyStores"]) == 1 and page["Truncated"]
    rest = kms.describe_custom_key_stores(Limit=1, Marker=page["NextMarker"])
    assert len(rest["CustomKeyStores"]) == 1 and not rest["Truncated"]
    seen = {page["CustomKeyStores"][0]["CustomKeyStoreId"], rest["CustomKeyStores"][0]["CustomKeyStoreId"]}
    assert seen == {first_id, second_id}
    by_name = kms.describe_custom_key_stores(CustomKeyStoreName="b")["CustomKeyStores"]
    assert [s["CustomKeyStoreId"] for s in by_name] == [second_id]
    fails_with("CustomKeyStoreNotFoundException", kms.describe_custom_key_stores, CustomKeyStoreName="zzz")
    fails_with("ValidationException", kms.describe_custom_key_stores, CustomKeyStoreName="a",
               CustomKeyStoreId=first_id)
    fails_with("InvalidMarkerException", kms.describe_custom_key_stores, Marker="!!!!")


def test_unknown_store_ids(cks_server):
    kms = make_kms(cks_server)
    for call in (kms.connect_custom_key_store, kms.disconnect_custom_key_store, kms.update_custom_key_store,
                 kms.delete_custom_key_store, kms.describe_custom_key_stores):
        fails_with("CustomKeyStoreNotFoundException", call, CustomKeyStoreId=UNKNOWN_STORE)
    fails_with("CustomKeyStoreNotFoundException", kms.generate_random, NumberOfBytes=8,
               CustomKeyStoreId=UNKNOWN_STORE)
    fails_with("CustomKeyStoreNotFoundException", kms.create_key, Origin="AWS_CLOUDHSM",
               CustomKeyStoreId=UNKNOWN_STORE)


def test_create_key_needs_a_matching_origin_and_store(cks_server):
    kms = make_kms(cks_server)
    store_id = create_store(kms)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    fails_with("ValidationException", kms.create_key, Origin="AWS_CLOUDHSM")
    fails_with("ValidationException", kms.create_key, CustomKeyStoreId=store_id)
    fails_with("UnsupportedOperationException", kms.create_key, Origin="EXTERNAL_KEY_STORE",
               CustomKeyStoreId=store_id, XksKeyId="key-1")
    fails_with("UnsupportedOperationException", kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id,
               KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")


def test_a_malformed_cluster_option_stops_the_server(hsm, tmp_path):
    from test_hsm import start_fails
    log = start_fails(tmp_path / "data", ["--cloudhsm-cluster", f"{CLUSTER}={SOFTHSM_MODULE}"])
    assert "ID=MODULE_PATH:TOKEN_LABEL" in log


def test_root_key_token_outage_fails_requests_until_it_is_back(fresh_server, hsm, tmp_path):
    """Not a custom key store: the pkcs11 *root key* provider's token going away
    under a running server (its storage moved out and back, a real SoftHSM2)."""
    hsm.init_token("root")
    srv = fresh_server(data_dir=tmp_path / "data", extra_args=hsm.serve_args(label="root"))
    kms = make_kms(srv)
    before = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=before, Plaintext=b"kept")["CiphertextBlob"]
    away = tmp_path / "tokens-away"
    hsm.tokens.rename(away)
    try:
        # New material must be wrapped by the token: refused as a server fault.
        with pytest.raises(ClientError) as info:
            kms.create_key()
        assert error_code(info) == "KMSInternalException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        away.rename(hsm.tokens)
    after = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    assert {k["KeyId"] for k in kms.list_keys()["Keys"]} == {before, after}, "nothing written during the outage"
    # Nothing lost: a fresh process over the same data reads everything back.
    assert srv.stop() == 0
    srv.start()
    kms = make_kms(srv)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    kms.encrypt(KeyId=after, Plaintext=b"new")
