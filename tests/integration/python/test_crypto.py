"""Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom."""

import os

import pytest
from botocore.exceptions import ClientError

from conftest import expect_error, expect_validation


@pytest.fixture
def key(new_key):
    return new_key()


@pytest.mark.parametrize("size", [1, 4096])
def test_encrypt_decrypt_round_trip(kms, key, size):
    plaintext = os.urandom(size)
    enc = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)
    assert enc["KeyId"] == key["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    if size >= 16:  # a short plaintext can occur in any blob by chance
        assert plaintext not in enc["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    assert dec["Plaintext"] == plaintext
    assert dec["KeyId"] == key["Arn"]
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


def test_encrypt_is_randomized(kms, key):
    first = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    second = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    assert first != second


def test_encrypt_4097_bytes_is_validation_error(kms, key):
    expect_validation("plaintext", kms.encrypt, KeyId=key["KeyId"], Plaintext=os.urandom(4097))


def test_encrypt_empty_plaintext_is_validation_error(kms, key):
    expect_validation("plaintext", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"")


def test_encrypt_under_unknown_key_is_not_found(kms):
    expect_error("NotFoundException", kms.encrypt,
                 KeyId="11111111-2222-3333-4444-555555555555", Plaintext=b"x")


def test_encrypt_via_alias(kms, key):
    alias = "alias/crypto-" + os.urandom(6).hex()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    enc = kms.encrypt(KeyId=alias, Plaintext=b"via alias")
    assert enc["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])["Plaintext"] == b"via alias"


def test_decrypt_with_matching_key_id(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"pinned")["CiphertextBlob"]
    for key_id in (key["KeyId"], key["Arn"]):
        assert kms.decrypt(CiphertextBlob=blob, KeyId=key_id)["Plaintext"] == b"pinned"


def test_decrypt_with_wrong_key_id_is_incorrect_key(kms, key, new_key):
    other = new_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"pinned")["CiphertextBlob"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, KeyId=other["KeyId"])


def test_encryption_context_is_bound(kms, key):
    context = {"purpose": "test", "tenant": "42"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"bound",
                       EncryptionContext=context)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"bound"
    # Order of pairs does not matter; content does.
    reordered = {"tenant": "42", "purpose": "test"}
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"bound"
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"purpose": "test", "tenant": "43"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"purpose": "test"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={**context, "extra": "x"})


def test_context_given_only_at_decrypt_is_rejected(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"no context")["CiphertextBlob"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"a": "b"})


def test_encryption_context_is_case_sensitive(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x",
                       EncryptionContext={"Key": "Value"})["CiphertextBlob"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"key": "Value"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"Key": "value"})


def flip(blob, index):
    data = bytearray(blob)
    data[index] ^= 0x01
    return bytes(data)


def test_tampered_ciphertext_is_rejected(kms, key):
    context = {"k": "v"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=os.urandom(100),
                       EncryptionContext=context)["CiphertextBlob"]
    n = len(blob)
    positions = sorted({0, 1, n // 4, n // 2, (3 * n) // 4, n - 17, n - 2, n - 1})
    for index in positions:
        tampered = flip(blob, index)
        with pytest.raises(ClientError) as info:
            kms.decrypt(CiphertextBlob=tampered, EncryptionContext=context)
        err = info.value.response
        assert err["Error"]["Code"] == "InvalidCiphertextException", (index, err["Error"])
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, index


def test_truncated_ciphertext_is_rejected(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"truncate me")["CiphertextBlob"]
    for cut in (1, len(blob) // 2, len(blob) - 1):
        expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob[:cut])


def test_garbage_ciphertext_is_rejected(kms):
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=os.urandom(200))


def test_empty_ciphertext_is_validation_error(kms):
    expect_validation("ciphertextBlob", kms.decrypt, CiphertextBlob=b"")


def test_reencrypt_to_another_key(kms, key, new_key):
    dest = new_key()
    src_ctx = {"stage": "source"}
    dst_ctx = {"stage": "destination"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"moving",
                       EncryptionContext=src_ctx)["CiphertextBlob"]
    resp = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=src_ctx,
                          DestinationKeyId=dest["KeyId"],
                          DestinationEncryptionContext=dst_ctx)
    assert resp["SourceKeyId"] == key["Arn"]
    assert resp["KeyId"] == dest["Arn"]
    assert resp["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert resp["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    new_blob = resp["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=new_blob, EncryptionContext=dst_ctx)
    assert dec["Plaintext"] == b"moving"
    assert dec["KeyId"] == dest["Arn"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=new_blob,
                 EncryptionContext=src_ctx)


def test_reencrypt_with_wrong_source_context_is_rejected(kms, key, new_key):
    dest = new_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x",
                       EncryptionContext={"a": "1"})["CiphertextBlob"]
    expect_error("InvalidCiphertextException", kms.re_encrypt, CiphertextBlob=blob,
                 SourceEncryptionContext={"a": "2"}, DestinationKeyId=dest["KeyId"])


def test_reencrypt_with_wrong_source_key_is_incorrect_key(kms, key, new_key):
    dest = new_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    expect_error("IncorrectKeyException", kms.re_encrypt, CiphertextBlob=blob,
                 SourceKeyId=dest["KeyId"], DestinationKeyId=dest["KeyId"])


def test_reencrypt_to_disabled_destination_is_disabled(kms, key, new_key):
    dest = new_key()
    kms.disable_key(KeyId=dest["KeyId"])
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    expect_error("DisabledException", kms.re_encrypt, CiphertextBlob=blob,
                 DestinationKeyId=dest["KeyId"])


@pytest.mark.parametrize("spec,length", [("AES_128", 16), ("AES_256", 32)])
def test_generate_data_key_by_spec(kms, key, spec, length):
    context = {"file": "report.pdf"}
    resp = kms.generate_data_key(KeyId=key["KeyId"], KeySpec=spec, EncryptionContext=context)
    assert len(resp["Plaintext"]) == length
    assert resp["KeyId"] == key["Arn"]
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=context)
    assert dec["Plaintext"] == resp["Plaintext"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=resp["CiphertextBlob"])


@pytest.mark.parametrize("count", [1, 64, 1024])
def test_generate_data_key_by_number_of_bytes(kms, key, count):
    resp = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=count)
    assert len(resp["Plaintext"]) == count
    assert kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])["Plaintext"] == resp["Plaintext"]


@pytest.mark.parametrize("count", [0, 1025])
def test_generate_data_key_number_of_bytes_out_of_range(kms, key, count):
    expect_validation("numberOfBytes", kms.generate_data_key, KeyId=key["KeyId"],
                      NumberOfBytes=count)


def test_generate_data_key_with_both_spec_and_bytes_is_validation_error(kms, key):
    err = expect_error("ValidationException", kms.generate_data_key, KeyId=key["KeyId"],
                       KeySpec="AES_256", NumberOfBytes=32)
    message = err.response["Error"]["Message"].lower().replace(" ", "")
    assert "keyspec" in message or "numberofbytes" in message, message


def test_generate_data_key_with_neither_is_validation_error(kms, key):
    err = expect_error("ValidationException", kms.generate_data_key, KeyId=key["KeyId"])
    message = err.response["Error"]["Message"].lower().replace(" ", "")
    assert "keyspec" in message or "numberofbytes" in message, message


def test_generate_data_key_bad_spec_is_validation_error(kms, key):
    expect_validation("keySpec", kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_512")


def test_generate_data_keys_differ(kms, key):
    first = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    second = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    assert first != second


def test_generate_data_key_without_plaintext(kms, key):
    context = {"purpose": "envelope"}
    resp = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256",
                                                   EncryptionContext=context)
    assert "Plaintext" not in resp
    assert resp["KeyId"] == key["Arn"]
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=context)
    assert len(dec["Plaintext"]) == 32


def test_generate_data_key_without_plaintext_by_bytes(kms, key):
    resp = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=48)
    assert len(kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])["Plaintext"]) == 48


@pytest.mark.parametrize("count", [1, 32, 1024])
def test_generate_random(kms, count):
    assert len(kms.generate_random(NumberOfBytes=count)["Plaintext"]) == count


def test_generate_random_calls_differ(kms):
    assert (kms.generate_random(NumberOfBytes=32)["Plaintext"]
            != kms.generate_random(NumberOfBytes=32)["Plaintext"])


@pytest.mark.parametrize("count", [0, 1025])
def test_generate_random_out_of_range(kms, count):
    expect_validation("numberOfBytes", kms.generate_random, NumberOfBytes=count)


def test_asymmetric_algorithm_on_symmetric_key_is_invalid_key_usage(kms, key):
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x",
                 EncryptionAlgorithm="RSAES_OAEP_SHA_256")


def test_unknown_algorithm_is_validation_error(kms, key):
    expect_validation("encryptionAlgorithm", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x",
                      EncryptionAlgorithm="ROT13")
