"""`coffer encrypt` / `coffer decrypt` end to end: KMS keyring against a running
server (key ARN, alias, discovery), raw keyrings, pipes, directories, the
overwrite and atomic-output rules, and the progress bar only on a terminal.
Interop with the official JavaScript SDK is in tests/integration/node/envelope.test.mjs.
"""

import os
import pty
import subprocess

import pytest

from conftest import COFFER_BIN, CofferServer, make_kms


@pytest.fixture
def envelope(server, tmp_path):
    """Runs the coffer CLI with the session server as its KMS."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_REGION": server.region,
        "AWS_ACCESS_KEY_ID": server.creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.creds.secret_access_key,
    }

    def run(*args, stdin=None, stderr=subprocess.PIPE, check=True):
        out = subprocess.run([COFFER_BIN, *map(str, args)], input=stdin, stdout=subprocess.PIPE,
                             stderr=stderr, env=env, timeout=120)
        if check:
            assert out.returncode == 0, out.stderr
        return out
    run.env = env
    return run


@pytest.fixture
def key_arn(new_key):
    return new_key()["Arn"]


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if ".coffer-" in p.name)


def test_kms_round_trip_through_pipes_with_context(envelope, key_arn):
    plaintext = os.urandom(100_000)
    enc = envelope("encrypt", "--key", key_arn, "--context", "app=test", "--context", "run=1", "-", "-",
                   stdin=plaintext)
    assert enc.stdout[:3] == b"\x02\x05\x78"  # v2, suite 0x0578 by default
    assert enc.stderr == b""  # no progress bar when piped
    dec = envelope("decrypt", "--key", key_arn, "--expect-context", "app=test", "-", "-", stdin=enc.stdout)
    assert dec.stdout == plaintext
    wrong = envelope("decrypt", "--key", key_arn, "--expect-context", "app=other", "-", "-",
                     stdin=enc.stdout, check=False)
    assert wrong.returncode == 1
    assert wrong.stdout == b""
    assert b"expected pair for key 'app'" in wrong.stderr


def test_alias_encrypts_and_discovery_decrypts_with_account_filter(envelope, kms, key_arn, account_id):
    kms.create_alias(AliasName="alias/envelope-cli", TargetKeyId=key_arn)
    enc = envelope("encrypt", "--key", "alias/envelope-cli", "-", "-", stdin=b"secret")
    assert key_arn.encode() in enc.stdout  # the EDK names the key ARN KMS answered with
    assert envelope("decrypt", "--discovery", "-", "-", stdin=enc.stdout).stdout == b"secret"
    assert envelope("decrypt", "--discovery", "--discovery-account", account_id, "-", "-",
                    stdin=enc.stdout).stdout == b"secret"
    other = envelope("decrypt", "--discovery", "--discovery-account", "999999999999", "-", "-",
                     stdin=enc.stdout, check=False)
    assert other.returncode == 1 and other.stdout == b""
    # Decrypting names key ARNs only (the ESDK rule): an alias matches no EDK.
    alias = envelope("decrypt", "--key", "alias/envelope-cli", "-", "-", stdin=enc.stdout, check=False)
    assert alias.returncode == 1
    assert b"no encrypted data key could be decrypted" in alias.stderr


def test_files_refuse_overwrite_without_force(envelope, key_arn, tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(b"x" * 5000)
    out = tmp_path / "out.encrypted"
    out.write_bytes(b"keep me")
    refused = envelope("encrypt", "--key", key_arn, src, out, check=False)
    assert refused.returncode == 1
    assert b"refusing to overwrite" in refused.stderr and b"--force" in refused.stderr
    assert out.read_bytes() == b"keep me"
    envelope("encrypt", "--key", key_arn, "--force", src, out)
    back = tmp_path / "back.bin"
    envelope("decrypt", "--key", key_arn, out, back)
    assert back.read_bytes() == src.read_bytes()
    assert leftovers(tmp_path) == []


def test_tampered_or_truncated_message_leaves_no_plaintext(envelope, key_arn, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024))
    enc = tmp_path / "big.encrypted"
    envelope("encrypt", "--key", key_arn, src, enc)
    data = enc.read_bytes()
    for name, bad in [("flipped", data[:-200] + bytes([data[-200] ^ 1]) + data[-199:]),
                      ("truncated", data[: len(data) // 2]),
                      ("signature", data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])]:
        bad_file = tmp_path / f"{name}.encrypted"
        bad_file.write_bytes(bad)
        out = tmp_path / f"{name}.plain"
        failed = envelope("decrypt", "--key", key_arn, bad_file, out, check=False)
        assert failed.returncode == 1, name
        assert not out.exists(), name
        # To stdout a signed message's plaintext is withheld until the signature verifies.
        piped = envelope("decrypt", "--key", key_arn, "-", "-", stdin=bad, check=False)
        assert piped.returncode == 1 and piped.stdout == b"", name
    assert leftovers(tmp_path) == []


def test_recursive_directories(envelope, key_arn, tmp_path):
    tree = tmp_path / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    files = {"top.txt": b"top", "a/one.bin": os.urandom(10_000), "a/b/empty": b""}
    for rel, content in files.items():
        (tree / rel).write_bytes(content)
    no_flag = envelope("encrypt", "--key", key_arn, tree, tmp_path / "enc", check=False)
    assert no_flag.returncode == 1 and b"--recursive" in no_flag.stderr
    envelope("encrypt", "--key", key_arn, "--recursive", tree, tmp_path / "enc")
    for rel in files:
        assert (tmp_path / "enc" / (rel + ".encrypted")).is_file()
    envelope("decrypt", "--key", key_arn, "-r", tmp_path / "enc", tmp_path / "dec")
    for rel, content in files.items():
        assert (tmp_path / "dec" / rel).read_bytes() == content


def test_output_directory_gets_suffixed_names(envelope, key_arn, tmp_path):
    src = tmp_path / "doc.txt"
    src.write_bytes(b"hello")
    outdir = tmp_path / "out"
    outdir.mkdir()
    envelope("encrypt", "--key", key_arn, src, outdir)
    back = tmp_path / "back"
    back.mkdir()
    envelope("decrypt", "--key", key_arn, outdir / "doc.txt.encrypted", back)
    assert (back / "doc.txt").read_bytes() == b"hello"
    again = envelope("decrypt", "--key", key_arn, outdir / "doc.txt.encrypted", back, check=False)
    assert again.returncode == 1 and b"refusing to overwrite" in again.stderr


def test_raw_aes_keyring_suites_frames_and_policies(envelope, tmp_path):
    key = tmp_path / "aes.key"
    key.write_bytes(os.urandom(32))
    plaintext = os.urandom(20_000)
    for extra in (["--frame-length", "0"], ["--frame-length", "100"], ["--suite", "AES_256_GCM_HKDF_SHA512_COMMIT_KEY"]):
        enc = envelope("encrypt", "--raw-aes-key-file", key, *extra, "-", "-", stdin=plaintext)
        assert envelope("decrypt", "--raw-aes-key-file", key, "-", "-", stdin=enc.stdout).stdout == plaintext
    v1 = envelope("encrypt", "--raw-aes-key-file", key, "--suite", "0x0178", "-", "-", stdin=plaintext, check=False)
    assert v1.returncode == 1 and b"commitment policy" in v1.stderr
    v1 = envelope("encrypt", "--raw-aes-key-file", key, "--suite", "0x0178", "--commitment-policy",
                  "forbid-encrypt-allow-decrypt", "-", "-", stdin=plaintext)
    strict = envelope("decrypt", "--raw-aes-key-file", key, "-", "-", stdin=v1.stdout, check=False)
    assert strict.returncode == 1 and b"commitment policy" in strict.stderr
    assert envelope("decrypt", "--raw-aes-key-file", key, "--commitment-policy", "require-encrypt-allow-decrypt",
                    "-", "-", stdin=v1.stdout).stdout == plaintext


def test_raw_rsa_public_key_encrypts_private_key_decrypts(envelope, tmp_path):
    private = tmp_path / "rsa.pem"
    public = tmp_path / "rsa.pub.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True, capture_output=True)
    common = ["--key-name", "rsa", "--rsa-padding", "oaep-sha512"]
    enc = envelope("encrypt", "--raw-rsa-key-file", public, *common, "-", "-", stdin=b"rsa data")
    assert envelope("decrypt", "--raw-rsa-key-file", private, *common, "-", "-", stdin=enc.stdout).stdout == b"rsa data"
    wrong_padding = envelope("decrypt", "--raw-rsa-key-file", private, "--key-name", "rsa", "--rsa-padding",
                             "oaep-sha256", "-", "-", stdin=enc.stdout, check=False)
    assert wrong_padding.returncode == 1


@pytest.mark.parametrize("args, message", [
    (["--context", "novalue"], b"--context needs key=value"),
    (["--context", "a=1", "--context", "a=2"], b"--context repeats the key a"),
    (["--suite", "0x9999"], b"unknown --suite"),
    (["--commitment-policy", "sometimes"], b"unknown value for --commitment-policy"),
    (["--rsa-padding", "none"], b"unknown value for --rsa-padding"),
    (["--context", "aws-crypto-x=1"], b"reserved"),
])
def test_bad_encrypt_flags_name_the_flag(envelope, tmp_path, args, message):
    key = tmp_path / "k"
    key.write_bytes(os.urandom(16))
    rsa_flags = ["--raw-rsa-key-file", key] if b"rsa-padding" in message else []
    out = envelope("encrypt", "--raw-aes-key-file", key, *rsa_flags, *args, "-", "-", stdin=b"x", check=False)
    assert out.returncode == 1
    assert message in out.stderr, out.stderr
    assert out.stdout == b""


def test_missing_or_bad_keys(envelope, tmp_path):
    out = envelope("encrypt", "-", "-", stdin=b"x", check=False)
    assert out.returncode == 1 and b"no key given" in out.stderr
    bad = tmp_path / "bad.key"
    bad.write_bytes(b"short")
    out = envelope("encrypt", "--raw-aes-key-file", bad, "-", "-", stdin=b"x", check=False)
    assert out.returncode == 1 and b"16, 24 or 32-byte key" in out.stderr
    out = envelope("encrypt", "--discovery", "-", "-", stdin=b"x", check=False)
    assert out.returncode != 0
    out = envelope("decrypt", "--raw-aes-key-file", tmp_path / "absent", "-", "-", stdin=b"x", check=False)
    assert out.returncode == 1 and b"cannot open" in out.stderr


def test_garbage_input_is_rejected(envelope, tmp_path):
    key = tmp_path / "k"
    key.write_bytes(os.urandom(32))
    for garbage in (b"", b"\x02", b"not an encrypted message at all", os.urandom(5000)):
        out = envelope("decrypt", "--raw-aes-key-file", key, "-", "-", stdin=garbage, check=False)
        assert out.returncode == 1 and b"malformed message" in out.stderr, garbage[:10]


def test_progress_bar_only_on_a_terminal(envelope, key_arn, tmp_path):
    src = tmp_path / "large.bin"
    src.write_bytes(os.urandom(6 * 1024 * 1024))
    piped = envelope("encrypt", "--key", key_arn, src, tmp_path / "piped.encrypted")
    assert piped.stderr == b""
    master, slave = pty.openpty()
    proc = subprocess.Popen([COFFER_BIN, "encrypt", "--key", key_arn, str(src), str(tmp_path / "tty.encrypted")],
                            stdout=subprocess.DEVNULL, stderr=slave, env=envelope.env)
    os.close(slave)
    shown = b""
    while True:  # read while it runs: a full terminal buffer would block the writer
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0
    assert b"large.bin [" in shown and b"100%" in shown
    quiet = envelope("encrypt", "--key", key_arn, "--no-progress", src, tmp_path / "quiet.encrypted")
    assert quiet.stderr == b""


def test_several_keys_each_decrypt_and_the_edk_limit(envelope, new_key, tmp_path):
    first, second = new_key()["Arn"], new_key()["Arn"]
    aes = tmp_path / "aes.key"
    aes.write_bytes(os.urandom(24))
    enc = envelope("encrypt", "--key", first, "--key", second, "--raw-aes-key-file", aes, "-", "-", stdin=b"multi")
    for flags in (["--key", first], ["--key", second], ["--raw-aes-key-file", aes]):
        assert envelope("decrypt", *flags, "-", "-", stdin=enc.stdout).stdout == b"multi"
    limited = envelope("decrypt", "--key", first, "--max-encrypted-data-keys", "2", "-", "-", stdin=enc.stdout,
                       check=False)
    assert limited.returncode == 1 and b"more encrypted data keys than allowed" in limited.stderr
    refused = envelope("encrypt", "--key", first, "--key", second, "--max-encrypted-data-keys", "1", "-", "-",
                       stdin=b"x", check=False)
    assert refused.returncode == 1 and refused.stdout == b""


def test_https_endpoint_is_verified_against_the_ca_bundle(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    srv = CofferServer(tmp_path / "data", extra_args=["--tls-cert", str(cert), "--tls-key", str(key)]).start()
    try:
        assert srv.endpoint.startswith("https://")
        arn = make_kms(srv).create_key()["KeyMetadata"]["Arn"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(tmp_path), "AWS_REGION": srv.region,
               "AWS_ACCESS_KEY_ID": srv.creds.access_key_id, "AWS_SECRET_ACCESS_KEY": srv.creds.secret_access_key}

        def run(*args, **extra_env):
            return subprocess.run([COFFER_BIN, *args, "--endpoint-url", srv.endpoint, "-", "-"], input=b"tls data",
                                  capture_output=True, env={**env, **extra_env}, timeout=60)
        unverified = run("encrypt", "--key", arn)
        assert unverified.returncode == 1
        assert b"TLS handshake" in unverified.stderr and b"certificate verify failed" in unverified.stderr
        enc = run("encrypt", "--key", arn, AWS_CA_BUNDLE=str(cert))
        assert enc.returncode == 0, enc.stderr
        dec = subprocess.run([COFFER_BIN, "decrypt", "--key", arn, "--endpoint-url", srv.endpoint, "-", "-"],
                             input=enc.stdout, capture_output=True, env={**env, "AWS_CA_BUNDLE": str(cert)}, timeout=60)
        assert dec.returncode == 0 and dec.stdout == b"tls data", dec.stderr
    finally:
        assert srv.stop() == 0


@pytest.mark.parametrize("args, message", [
    (["--discovery-account", "111122223333"], b"need --discovery"),
    (["--discovery", "--discovery-partition", "aws-cn"], b"--discovery-partition needs --discovery-account"),
    (["--discovery", "--key", "arn:aws:kms:us-east-1:111122223333:key/k"], b"not both"),
])
def test_bad_discovery_flags_name_the_flag(envelope, args, message):
    out = envelope("decrypt", *args, "-", "-", stdin=b"x", check=False)
    assert out.returncode == 1
    assert message in out.stderr, out.stderr
