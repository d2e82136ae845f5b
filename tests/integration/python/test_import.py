"""Imported key material (Origin EXTERNAL) through boto3: material wrapped
locally with python-cryptography under GetParametersForImport's public key."""

import os
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from conftest import expect_error, expect_validation


def wrap(params, algorithm, material):
    public_key = serialization.load_der_public_key(params["PublicKey"])
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public_key.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public_key.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def import_material(kms, key_id, material, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048", **extra):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    extra.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=wrap(params, algorithm, material), **extra)


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256",
                                       "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
def test_import_symmetric_material(kms, algorithm):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport" and key["Origin"] == "EXTERNAL"
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    material = os.urandom(32)
    out = import_material(kms, key["KeyId"], material, algorithm, spec="RSA_3072")
    assert len(out["KeyMaterialId"]) == 64
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"byok")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    expect_error("IncorrectKeyMaterialException", import_material, kms, key["KeyId"], os.urandom(32))
    import_material(kms, key["KeyId"], material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"byok"


def test_import_token_errors(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    params = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    assert params["ParametersValidTo"].timestamp() == pytest.approx(time.time() + 86400, abs=120)
    other_params = kms.get_parameters_for_import(KeyId=other["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                 WrappingKeySpec="RSA_2048")
    assert other_params["PublicKey"] != params["PublicKey"]
    expect_error("InvalidImportTokenException", kms.import_key_material, KeyId=key["KeyId"],
                 ImportToken=other_params["ImportToken"],
                 EncryptedKeyMaterial=wrap(params, "RSAES_OAEP_SHA_256", os.urandom(32)),
                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    expect_error("InvalidCiphertextException", kms.import_key_material, KeyId=key["KeyId"],
                 ImportToken=params["ImportToken"], EncryptedKeyMaterial=b"garbage",
                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    expect_validation("ValidTo", kms.import_key_material, KeyId=key["KeyId"],
                      ImportToken=params["ImportToken"],
                      EncryptedKeyMaterial=wrap(params, "RSAES_OAEP_SHA_256", os.urandom(32)))
    plain = kms.create_key()["KeyMetadata"]
    expect_error("UnsupportedOperationException", kms.get_parameters_for_import, KeyId=plain["KeyId"],
                 WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")


def test_import_expiring_material_reports_valid_to(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    valid_to = int(time.time()) + 7 * 86400
    import_material(kms, key["KeyId"], os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert int(meta["ValidTo"].timestamp()) == valid_to


def test_import_ec_signing_key(kms):
    local = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = local.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    import_material(kms, key["KeyId"], pkcs8, "RSA_AES_KEY_WRAP_SHA_256")
    sig = kms.sign(KeyId=key["KeyId"], Message=b"imported", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    local.public_key().verify(sig, b"imported", ec.ECDSA(hashes.SHA256()))
    wrong = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    expect_error("IncorrectKeyMaterialException", import_material, kms, key["KeyId"], wrong,
                 "RSA_AES_KEY_WRAP_SHA_256")


def test_import_hmac_key_matches_local_hmac(kms):
    import hmac as hmac_lib
    material = os.urandom(48)
    key = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    import_material(kms, key["KeyId"], material)
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"msg", MacAlgorithm="HMAC_SHA_384")["Mac"]
    assert mac == hmac_lib.new(material, b"msg", "sha384").digest()
