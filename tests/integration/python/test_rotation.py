"""Key rotation: automatic rotation settings and on-demand rotation."""

import datetime
import uuid

from conftest import expect_error, expect_validation, wait_for


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def test_rotation_disabled_by_default(kms, new_key):
    key_id = new_key()["KeyId"]
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status


def test_enable_rotation_default_period_365(kms, new_key):
    key = new_key()
    before = now_utc()
    kms.enable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert status["KeyId"] in (key["KeyId"], key["Arn"])
    expected = before + datetime.timedelta(days=365)
    assert abs((status["NextRotationDate"] - expected).total_seconds()) < 2 * 86400


def test_enable_rotation_custom_period(kms, new_key):
    key_id = new_key()["KeyId"]
    for days in (90, 2560, 180):
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=days)
        assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == days


def test_rotation_period_out_of_range(kms, new_key):
    key_id = new_key()["KeyId"]
    for days in (89, 2561, 0):
        expect_validation("rotationPeriodInDays", kms.enable_key_rotation, KeyId=key_id,
                          RotationPeriodInDays=days)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_disable_rotation(kms, new_key):
    key_id = new_key()["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_enable_rotation_on_disabled_key_is_disabled(kms, new_key):
    key_id = new_key()["KeyId"]
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.enable_key_rotation, KeyId=key_id)


def test_rotation_of_unknown_key_is_not_found(kms):
    expect_error("NotFoundException", kms.get_key_rotation_status, KeyId=str(uuid.uuid4()))
    expect_error("NotFoundException", kms.enable_key_rotation, KeyId=str(uuid.uuid4()))
    expect_error("NotFoundException", kms.rotate_key_on_demand, KeyId=str(uuid.uuid4()))


def completed_rotations(kms, key_id):
    rotations = []
    marker = None
    while True:
        kwargs = {"KeyId": key_id}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_key_rotations(**kwargs)
        rotations.extend(page["Rotations"])
        if not page["Truncated"]:
            return rotations
        marker = page["NextMarker"]


def test_rotate_on_demand_is_listed_and_old_ciphertext_still_decrypts(kms, new_key):
    key = new_key()
    context = {"era": "before"}
    old_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old material",
                           EncryptionContext=context)["CiphertextBlob"]
    assert completed_rotations(kms, key["KeyId"]) == []

    started = now_utc()
    resp = kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert resp["KeyId"] in (key["KeyId"], key["Arn"])

    # On-demand rotation completes asynchronously in AWS; poll for it.
    rotations = wait_for(lambda: completed_rotations(kms, key["KeyId"]), 10,
                         "the on-demand rotation to be listed")
    assert len(rotations) == 1
    entry = rotations[0]
    assert entry["KeyId"] in (key["KeyId"], key["Arn"])
    assert entry["RotationType"] == "ON_DEMAND"
    assert entry["RotationDate"] >= started - datetime.timedelta(seconds=5)

    assert kms.decrypt(CiphertextBlob=old_blob, EncryptionContext=context)["Plaintext"] == \
        b"old material"
    new_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new material")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"new material"
    # Re-encrypting old ciphertext under the same key moves it to the new material.
    re = kms.re_encrypt(CiphertextBlob=old_blob, SourceEncryptionContext=context,
                        DestinationKeyId=key["KeyId"], DestinationEncryptionContext=context)
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"],
                       EncryptionContext=context)["Plaintext"] == b"old material"


def test_multiple_rotations_keep_every_generation_decryptable(kms, new_key):
    key_id = new_key()["KeyId"]
    blobs = []
    for generation in range(3):
        blobs.append((generation, kms.encrypt(KeyId=key_id,
                                              Plaintext=f"gen {generation}".encode())["CiphertextBlob"]))
        kms.rotate_key_on_demand(KeyId=key_id)
        wait_for(lambda: len(completed_rotations(kms, key_id)) == generation + 1, 10,
                 f"rotation {generation + 1} to be listed")
    for generation, blob in blobs:
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == f"gen {generation}".encode()


def test_rotate_on_demand_of_disabled_key_is_disabled(kms, new_key):
    key_id = new_key()["KeyId"]
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.rotate_key_on_demand, KeyId=key_id)


def test_pending_deletion_suspends_rotation(kms, new_key):
    # AWS: while pending deletion the rotation status is false; cancelling the
    # deletion restores it. Enabling rotation meanwhile is a key-state error.
    key_id = new_key()["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    expect_error("KMSInvalidStateException", kms.enable_key_rotation, KeyId=key_id)
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
