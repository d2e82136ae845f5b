"""Asymmetric and HMAC keys through boto3 and the aws CLI, checked outside Coffer
with python-cryptography: signatures verify with the public key, data encrypted
locally decrypts through Coffer, ECDH agrees with the local computation."""

import base64
import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from conftest import expect_error, expect_validation

HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}

SIGNING_CASES = [
    ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512"),
    ("RSA_3072", "RSASSA_PSS_SHA_384"), ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"), ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
]


def public_key_of(kms, key_id):
    out = kms.get_public_key(KeyId=key_id)
    return out, serialization.load_der_public_key(out["PublicKey"])


def verify_locally(public_key, algorithm, message, signature, prehashed=False):
    h = HASHES[algorithm[-3:]]
    data_hash = utils.Prehashed(h) if prehashed else h
    if algorithm.startswith("ECDSA"):
        public_key.verify(signature, message, ec.ECDSA(data_hash))
    elif algorithm.startswith("RSASSA_PSS"):
        public_key.verify(signature, message,
                          padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), data_hash)
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), data_hash)


@pytest.mark.parametrize("spec,algorithm", SIGNING_CASES)
def test_signatures_verify_with_python_cryptography(kms, spec, algorithm):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert algorithm in key["SigningAlgorithms"]
    meta, public_key = public_key_of(kms, key["KeyId"])
    assert meta["KeySpec"] == spec and meta["KeyUsage"] == "SIGN_VERIFY"
    message = b"release 1.2.3 " + os.urandom(16)
    sig = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)
    assert sig["KeyId"] == key["Arn"] and sig["SigningAlgorithm"] == algorithm
    verify_locally(public_key, algorithm, message, sig["Signature"])
    digest = hashlib.new("sha" + algorithm[-3:], message).digest()
    by_digest = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST",
                         SigningAlgorithm=algorithm)
    verify_locally(public_key, algorithm, digest, by_digest["Signature"], prehashed=True)
    ok = kms.verify(KeyId=key["KeyId"], Message=message, Signature=by_digest["Signature"],
                    SigningAlgorithm=algorithm)
    assert ok["SignatureValid"] is True
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key["KeyId"],
                 Message=message + b"x", Signature=sig["Signature"], SigningAlgorithm=algorithm)


def test_sign_errors(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    expect_validation("digest", kms.sign, KeyId=key["KeyId"], Message=b"x" * 31,
                      MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    expect_validation("message", kms.sign, KeyId=key["KeyId"], Message=b"x" * 4097,
                      SigningAlgorithm="ECDSA_SHA_256")
    expect_error("InvalidKeyUsageException", kms.sign, KeyId=key["KeyId"], Message=b"x",
                 SigningAlgorithm="RSASSA_PSS_SHA_256")
    sym = kms.create_key()["KeyMetadata"]
    expect_error("InvalidKeyUsageException", kms.sign, KeyId=sym["KeyId"], Message=b"x",
                 SigningAlgorithm="ECDSA_SHA_256")
    expect_error("UnsupportedOperationException", kms.get_public_key, KeyId=sym["KeyId"])


@pytest.mark.parametrize("spec,usage", [
    ("ECC_NIST_P256", "ENCRYPT_DECRYPT"), ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
    ("RSA_2048", "GENERATE_VERIFY_MAC"), ("HMAC_256", "SIGN_VERIFY"), ("SYMMETRIC_DEFAULT", "SIGN_VERIFY"),
])
def test_invalid_spec_usage_pairs(kms, spec, usage):
    expect_validation("KeyUsage", kms.create_key, KeySpec=spec, KeyUsage=usage)


@pytest.mark.parametrize("spec,limit", [("RSA_2048", 190), ("RSA_3072", 318), ("RSA_4096", 446)])
def test_rsa_oaep_sha256_local_encrypt_and_limits(kms, spec, limit):
    key = kms.create_key(KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    assert key["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    _, public_key = public_key_of(kms, key["KeyId"])
    secret = os.urandom(limit)
    blob = public_key.encrypt(secret, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                   algorithm=hashes.SHA256(), label=None))
    out = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert out["Plaintext"] == secret
    expect_validation("plaintext", kms.encrypt, KeyId=key["KeyId"], Plaintext=os.urandom(limit + 1),
                      EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)


def test_rsa_oaep_sha1_round_trip_and_reencrypt(kms):
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    sym = kms.create_key()["KeyMetadata"]
    enc = kms.encrypt(KeyId=rsa["KeyId"], Plaintext=b"x" * 214, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert enc["EncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    moved = kms.re_encrypt(CiphertextBlob=enc["CiphertextBlob"], SourceKeyId=rsa["KeyId"],
                           SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1", DestinationKeyId=sym["KeyId"])
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"x" * 214


@pytest.mark.parametrize("spec,alg,name", [("HMAC_224", "HMAC_SHA_224", "sha224"),
                                           ("HMAC_512", "HMAC_SHA_512", "sha512")])
def test_generate_and_verify_mac(kms, spec, alg, name):
    key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert key["MacAlgorithms"] == [alg]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"token", MacAlgorithm=alg)
    assert len(mac["Mac"]) == hashlib.new(name).digest_size
    assert kms.verify_mac(KeyId=key["KeyId"], Message=b"token", MacAlgorithm=alg,
                          Mac=mac["Mac"])["MacValid"] is True
    expect_error("KMSInvalidMacException", kms.verify_mac, KeyId=key["KeyId"], Message=b"tokeN",
                 MacAlgorithm=alg, Mac=mac["Mac"])
    expect_error("InvalidKeyUsageException", kms.generate_mac, KeyId=key["KeyId"], Message=b"t",
                 MacAlgorithm="HMAC_SHA_256")


@pytest.mark.parametrize("pair_spec", ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P521", "ECC_SECG_P256K1"])
def test_data_key_pairs(kms, pair_spec):
    key = kms.create_key()["KeyMetadata"]
    ctx = {"purpose": "code-signing"}
    pair = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=pair_spec, EncryptionContext=ctx)
    private_key = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    assert private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]
    out = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext=ctx)
    assert out["Plaintext"] == pair["PrivateKeyPlaintext"]
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec=pair_spec)
    assert "PrivateKeyPlaintext" not in bare
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=pair["PrivateKeyCiphertextBlob"])


@pytest.mark.parametrize("spec,curve", [("ECC_NIST_P256", ec.SECP256R1()), ("ECC_NIST_P384", ec.SECP384R1()),
                                        ("ECC_NIST_P521", ec.SECP521R1())])
def test_derive_shared_secret_matches_local_ecdh(kms, spec, curve):
    key = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert key["KeyAgreementAlgorithms"] == ["ECDH"]
    _, kms_public = public_key_of(kms, key["KeyId"])
    peer = ec.generate_private_key(curve)
    peer_der = peer.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    out = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert out["SharedSecret"] == peer.exchange(ec.ECDH(), kms_public)
    assert out["KeyOrigin"] == "AWS_KMS"
    other = ec.generate_private_key(ec.SECP256K1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expect_validation("PublicKey", kms.derive_shared_secret, KeyId=key["KeyId"],
                      KeyAgreementAlgorithm="ECDH", PublicKey=other)


def test_asymmetric_keys_do_not_rotate(kms):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    expect_error("UnsupportedOperationException", kms.enable_key_rotation, KeyId=key["KeyId"])
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    expect_error("UnsupportedOperationException", kms.enable_key_rotation, KeyId=hmac_key["KeyId"])


def test_aws_cli_sign_and_get_public_key(aws_cli, tmp_path):
    key = aws_cli("kms", "create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY")
    key_id = key["KeyMetadata"]["KeyId"]
    message = tmp_path / "artifact.bin"
    message.write_bytes(b"artifact contents")
    sig = aws_cli("kms", "sign", "--key-id", key_id, "--message", f"fileb://{message}",
                  "--signing-algorithm", "ECDSA_SHA_384")
    pub = aws_cli("kms", "get-public-key", "--key-id", key_id)
    public_key = serialization.load_der_public_key(base64.b64decode(pub["PublicKey"]))
    public_key.verify(base64.b64decode(sig["Signature"]), b"artifact contents", ec.ECDSA(hashes.SHA384()))
    mac_key = aws_cli("kms", "create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC")
    mac = aws_cli("kms", "generate-mac", "--key-id", mac_key["KeyMetadata"]["KeyId"], "--message",
                  f"fileb://{message}", "--mac-algorithm", "HMAC_SHA_256")
    assert len(base64.b64decode(mac["Mac"])) == 32
    assert mac["MacAlgorithm"] == "HMAC_SHA_256"
