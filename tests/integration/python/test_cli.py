"""The core flow through the unmodified aws CLI (v2): `aws --endpoint-url ... kms ...`.

aws CLI v2 prints blob members base64-encoded; `fileb://` passes raw bytes in.
"""

import base64
import os
import uuid


def test_cli_create_encrypt_decrypt_alias_describe(aws_cli, tmp_path, account_id):
    created = aws_cli("kms", "create-key", "--description", "cli key")
    meta = created["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{account_id}:key/{key_id}"
    assert meta["KeyState"] == "Enabled"
    assert meta["Description"] == "cli key"

    plaintext = os.urandom(300)
    plain_file = tmp_path / "plain.bin"
    plain_file.write_bytes(plaintext)
    blob_b64 = aws_cli("kms", "encrypt", "--key-id", key_id,
                       "--plaintext", f"fileb://{plain_file}",
                       "--encryption-context", "purpose=cli,run=1",
                       "--query", "CiphertextBlob", output="text")
    blob_file = tmp_path / "blob.bin"
    blob_file.write_bytes(base64.b64decode(blob_b64))

    decrypted = aws_cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}",
                        "--encryption-context", "purpose=cli,run=1")
    assert base64.b64decode(decrypted["Plaintext"]) == plaintext
    assert decrypted["KeyId"] == meta["Arn"]

    failed = aws_cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}",
                     check=False)
    assert failed.returncode != 0
    assert "InvalidCiphertextException" in failed.stderr

    keys = aws_cli("kms", "list-keys")
    assert key_id in {k["KeyId"] for k in keys["Keys"]}

    alias = f"alias/cli-{uuid.uuid4().hex[:10]}"
    assert aws_cli("kms", "create-alias", "--alias-name", alias, "--target-key-id", key_id) is None
    described = aws_cli("kms", "describe-key", "--key-id", alias)
    assert described["KeyMetadata"]["KeyId"] == key_id
    aliases = aws_cli("kms", "list-aliases", "--key-id", key_id)
    assert [a["AliasName"] for a in aliases["Aliases"]] == [alias]


def test_cli_generate_data_key(aws_cli, tmp_path):
    key_id = aws_cli("kms", "create-key", "--query", "KeyMetadata.KeyId", output="text")
    resp = aws_cli("kms", "generate-data-key", "--key-id", key_id, "--key-spec", "AES_256")
    plaintext = base64.b64decode(resp["Plaintext"])
    assert len(plaintext) == 32
    blob_file = tmp_path / "dk.bin"
    blob_file.write_bytes(base64.b64decode(resp["CiphertextBlob"]))
    out = aws_cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}",
                  "--query", "Plaintext", output="text")
    assert base64.b64decode(out) == plaintext


def test_cli_reports_not_found(aws_cli):
    failed = aws_cli("kms", "describe-key", "--key-id", str(uuid.uuid4()), check=False)
    assert failed.returncode == 254
    assert "NotFoundException" in failed.stderr


def test_cli_schedule_and_cancel_deletion(aws_cli):
    key_id = aws_cli("kms", "create-key", "--query", "KeyMetadata.KeyId", output="text")
    scheduled = aws_cli("kms", "schedule-key-deletion", "--key-id", key_id,
                        "--pending-window-in-days", "7")
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    aws_cli("kms", "cancel-key-deletion", "--key-id", key_id)
    state = aws_cli("kms", "describe-key", "--key-id", key_id,
                    "--query", "KeyMetadata.KeyState", output="text")
    assert state == "Disabled"
