"""Fixtures that drive the real `coffer` binary with real AWS clients.

Every server is started on port 0 in a temporary data directory; the chosen
endpoint is read back from the ready file the server writes once it accepts
connections. Nothing here sleeps as a stand-in for synchronization: waits poll
for a condition with an overall deadline.

Run with Debian's interpreter: /usr/bin/python3 -m pytest tests/integration/python
"""

import base64
import configparser
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[3]
COFFER_BIN = os.environ.get("COFFER_BIN", str(REPO / "build" / "src" / "cli" / "coffer"))
AWS_CLI = "/usr/bin/aws"
REGION = "us-east-1"

# Debian's botocore (1.29) predates RotateKeyOnDemand, ListKeyRotations and
# RotationPeriodInDays. The repository's oracle holds a newer upstream KMS model
# (byte-identical to botocore's); botocore loads it ahead of its bundled one.
# The oracles sit beside the repository (../shared/oracles), as CMake's
# COFFER_ORACLES_DIR assumes; COFFER_ORACLES_DIR overrides. Without them the
# tests would silently run against Debian's older models, so their absence
# stops the run.
ORACLES_DIR = Path(os.environ.get("COFFER_ORACLES_DIR", str(REPO.parent / "shared" / "oracles"))).resolve()
KMS_MODEL_DIR = ORACLES_DIR / "kms-api" / "botocore"
if not (KMS_MODEL_DIR / "kms" / "2014-11-01" / "service-2.json").is_file():
    raise RuntimeError(f"oracle service models not found under {KMS_MODEL_DIR} "
                       "(set COFFER_ORACLES_DIR to the shared/oracles directory)")

# Opt-in: with COFFER_TEST_POSTGRES set to a PostgreSQL server URL
# ("postgresql://coffer@127.0.0.1:PORT", a superuser), every server the
# fixtures start gets a database of its own there (`--store`) instead of
# SQLite; with COFFER_TEST_CLUSTER too, a database per cluster (below).
TEST_POSTGRES = os.environ.get("COFFER_TEST_POSTGRES", "")
_postgres_databases = [0]


def _postgres_store_args(extra_args):
    if not TEST_POSTGRES or "--store" in extra_args:
        return []
    _postgres_databases[0] += 1
    name = f"coffer_fixture_{os.getpid()}_{_postgres_databases[0]}"
    subprocess.run(["psql", "-d", TEST_POSTGRES + "/postgres", "-v", "ON_ERROR_STOP=1", "-c",
                    f"CREATE DATABASE {name}"], check=True, capture_output=True, timeout=60)
    return ["--store", f"{TEST_POSTGRES}/{name}"]


# Opt-in: COFFER_TEST_ROOT_KEY_ARGS, a JSON list of `--root-key-provider ...`
# arguments, puts the root key of every server the fixtures start (and of their
# `coffer admin` calls) there instead of a file: test_hsm.py runs existing
# suites with the key in a SoftHSM2 token that way.
TEST_ROOT_KEY_ARGS = json.loads(os.environ.get("COFFER_TEST_ROOT_KEY_ARGS", "[]"))


def _root_key_args(extra_args):
    return [] if "--root-key-provider" in extra_args else list(TEST_ROOT_KEY_ARGS)


READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.02

# HTTP status of each KMS error as the real service answers it. The AWS KMS API
# Reference lists "HTTP Status Code: 400" for every client error of every KMS
# operation (NotFoundException, DisabledException, KMSInvalidStateException,
# AlreadyExistsException, ...), and responses recorded against the live
# service agree (NotFoundException, KMSInvalidStateException,
# InvalidCiphertextException, IncorrectKeyException: 400). The Smithy model in
# ../shared/oracles/kms-api/smithy-kms carries 404/409 httpError traits for some
# of them, which the service does not send.
AWS_HTTP_STATUS = {
    "AccessDeniedException": 400,
    "AlreadyExistsException": 400,
    "DisabledException": 400,
    "IncompleteSignatureException": 400,
    "IncorrectKeyException": 400,
    "InvalidAliasNameException": 400,
    "InvalidArnException": 400,
    "InvalidCiphertextException": 400,
    "InvalidKeyUsageException": 400,
    "InvalidMarkerException": 400,
    "InvalidSignatureException": 400,
    "KMSInvalidStateException": 400,
    "MalformedPolicyDocumentException": 400,
    "InvalidGrantTokenException": 400,
    "MissingAuthenticationTokenException": 403,
    "NotFoundException": 400,
    "SerializationException": 400,
    "TagException": 400,
    "UnknownOperationException": 400,
    "UnrecognizedClientException": 400,
    "UnsupportedOperationException": 400,
    "ValidationException": 400,
    # Asymmetric, HMAC and imported keys (KMS API Reference: 400 for each).
    "KMSInvalidSignatureException": 400,
    "KMSInvalidMacException": 400,
    "IncorrectKeyMaterialException": 400,
    "ExpiredImportTokenException": 400,
    "InvalidImportTokenException": 400,
}


# --------------------------------------------------------------------------
# Server process management
# --------------------------------------------------------------------------


class Credentials:
    def __init__(self, access_key_id, secret_access_key, account_id, region=REGION):
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.account_id = account_id
        self.region = region


def read_credentials_file(path):
    text = Path(path).read_text()
    parser = configparser.ConfigParser()
    parser.read_string(text)
    section = parser["default"]
    match = re.search(r"^#\s*account_id\s*=\s*(\d{12})\s*$", text, re.MULTILINE)
    assert match, f"no '# account_id = ...' line in {path}:\n{text}"
    return Credentials(
        section["aws_access_key_id"].strip(),
        section["aws_secret_access_key"].strip(),
        match.group(1),
        section.get("region", REGION).strip(),
    )


def wait_for(predicate, timeout_s, what):
    """Polls predicate until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


class CofferServer:
    """One `coffer serve` process over a data directory that outlives it."""

    def __init__(self, data_dir, tls=False, extra_args=()):
        self.data_dir = Path(data_dir)
        self.tls = tls
        self.extra_args = list(extra_args)
        # What every `serve` and `admin` call of this data directory needs.
        self.store_args = _postgres_store_args(self.extra_args) + _root_key_args(self.extra_args)
        self.extra_args += self.store_args
        self.proc = None
        self.endpoint = None
        self.port = None
        self.region = None
        self.creds = None
        self._log = None

    @property
    def ready_file(self):
        return self.data_dir.parent / (self.data_dir.name + ".ready.json")

    @property
    def credentials_file(self):
        return self.data_dir / "credentials"

    @property
    def log_path(self):
        return self.data_dir.parent / (self.data_dir.name + ".log")

    def start(self, port=0):
        assert self.proc is None, "server already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.ready_file.exists():
            self.ready_file.unlink()  # a stale file from an earlier run is not readiness
        args = [COFFER_BIN, "serve", "--data-dir", str(self.data_dir),
                "--listen", f"127.0.0.1:{port}", "--ready-file", str(self.ready_file)]
        if self.tls:
            args.append("--tls-self-signed")
        args += self.extra_args
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"coffer exited with {self.proc.returncode} before becoming ready; "
                    f"log:\n{self.log_text()}")
            if not self.ready_file.exists():
                return None
            try:
                return json.loads(self.ready_file.read_text())
            except json.JSONDecodeError:
                return None  # the contract says atomic; tolerate a partial read anyway

        info = wait_for(ready, READY_TIMEOUT_S, f"ready file {self.ready_file}")
        self.endpoint = info["endpoint"]
        self.port = int(info["port"])
        self.region = info["region"]
        self.creds = read_credentials_file(self.credentials_file)
        return self

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        """Graceful shutdown; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"coffer did not exit within {STOP_TIMEOUT_S}s of SIGTERM")
        self._close()
        return code

    def crashed(self):
        """Exit status if the process died on its own, else None."""
        if self.proc is None or self.proc.poll() is None:
            return None
        return self.proc.returncode

    def restart_after_crash(self):
        """Starts again on the same data directory and, if free, the same port."""
        self._close()
        try:
            self.start(port=self.port)
        except (RuntimeError, TimeoutError):
            self._close()
            self.start()

    def kill9(self):
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close()

    def _close(self):
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def admin(self, *args):
        """Runs `coffer admin --data-dir DIR ARGS...` and parses its JSON output."""
        out = subprocess.run([COFFER_BIN, "admin", "--data-dir", str(self.data_dir), *self.store_args, *args],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"coffer admin {args} failed: {out.stdout}\n{out.stderr}"
        return json.loads(out.stdout)


# Opt-in: COFFER_TEST_CLUSTER=N (N >= 2, with COFFER_TEST_POSTGRES) makes every
# server the fixtures and tests start N nodes on one database behind haproxy
# (cluster_mode.py); test_cluster_haproxy.py runs existing suites that way.
TEST_CLUSTER_NODES = int(os.environ.get("COFFER_TEST_CLUSTER", "0") or 0)

if TEST_CLUSTER_NODES:
    import cluster_mode

    if TEST_CLUSTER_NODES < 2 or not TEST_POSTGRES:
        raise RuntimeError("COFFER_TEST_CLUSTER=N needs N >= 2 and COFFER_TEST_POSTGRES")
    _CofferProcess = CofferServer

    class CofferServer(cluster_mode.CofferCluster):  # noqa: F811  (the cluster stands in for it)
        def __init__(self, data_dir, tls=False, extra_args=()):
            super().__init__(_CofferProcess, TEST_CLUSTER_NODES, data_dir, tls, extra_args,
                             _postgres_store_args(list(extra_args)) + _root_key_args(list(extra_args)))

    def pytest_collection_modifyitems(config, items):
        for item in items:
            reason = cluster_mode.exclusion_reason(item.nodeid)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"cluster mode: {reason}"))


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------


def boto_session():
    core = botocore.session.get_session()
    core.get_component("data_loader").search_paths.insert(0, str(KMS_MODEL_DIR))
    return boto3.session.Session(botocore_session=core)


def make_kms(server, region=REGION, creds=None, validate=False, **config):
    """A boto3 KMS client against `server`.

    Client-side parameter validation is off so that bad input reaches the
    server: the server's own validation is what these tests examine.
    """
    creds = creds or server.creds
    options = {"connect_timeout": 10, "read_timeout": 60, **config}
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=validate, **options)
    return boto_session().client(
        "kms", region_name=region, endpoint_url=server.endpoint,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        config=cfg, verify=False if server.endpoint.startswith("https") else None)


def expect_error(code, fn, *args, **kwargs):
    """Calls fn, asserts it fails with the AWS error `code` and its HTTP status.

    Returns the ClientError for further checks of the message.
    """
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    err = info.value.response
    assert err["Error"]["Code"] == code, f"expected {code}, got {err['Error']} "
    status = err["ResponseMetadata"]["HTTPStatusCode"]
    assert status == AWS_HTTP_STATUS[code], f"{code}: expected HTTP {AWS_HTTP_STATUS[code]}, got {status}"
    return info.value


def error_message(client_error):
    return client_error.response["Error"].get("Message", "")


def expect_validation(field, fn, *args, **kwargs):
    """ValidationException whose message names `field` (AWS: "... at 'field' ...")."""
    err = expect_error("ValidationException", fn, *args, **kwargs)
    message = error_message(err)
    assert field.lower() in message.lower(), f"message does not name {field!r}: {message!r}"
    return err


def b64(data):
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    # The suite calls management APIs faster than AWS's per-API quotas allow
    # (CreateAlias: 5/s), so the shared server runs without quotas; quota
    # behaviour is tested on servers of its own (test_quotas_metrics.py).
    srv = CofferServer(tmp_path_factory.mktemp("coffer-session") / "data",
                       extra_args=["--quotas", "false"]).start()
    yield srv
    assert srv.stop() == 0, "coffer did not exit 0 on SIGTERM"


@pytest.fixture(autouse=True)
def _session_server_survives(request):
    """Fails the test during which the shared server died, then revives it.

    Without this, one crash would turn every later test into a connection error.
    """
    yield
    if "server" not in request.fixturenames:
        return
    srv = request.getfixturevalue("server")
    code = srv.crashed()
    if code is None:
        return
    log = srv.log_text()
    srv.restart_after_crash()
    pytest.fail(f"coffer (session server) died during this test with status {code}; "
                f"log tail:\n{log}", pytrace=False)


@pytest.fixture(scope="session")
def kms(server):
    return make_kms(server)


@pytest.fixture(scope="session")
def account_id(server):
    return server.creds.account_id


@pytest.fixture
def new_key(kms):
    """Factory: creates a fresh symmetric key, returns its KeyMetadata."""
    def create(**kwargs):
        return kms.create_key(**kwargs)["KeyMetadata"]
    return create


@pytest.fixture
def fresh_server(tmp_path):
    """Factory for servers owned by one test (restarts, kill -9, TLS).

    Servers still running at teardown are stopped with SIGTERM and must exit 0.
    """
    started = []

    def start(data_dir=None, tls=False, extra_args=()):
        srv = CofferServer(data_dir or (tmp_path / f"data{len(started)}"), tls=tls,
                           extra_args=extra_args).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        if srv.proc is not None:
            assert srv.stop() == 0, "coffer did not exit 0 on SIGTERM"


@pytest.fixture(scope="session")
def aws_cli(server, tmp_path_factory):
    """Runs /usr/bin/aws against the session server; returns parsed JSON (or text)."""
    home = tmp_path_factory.mktemp("awscli")
    creds_file = home / "credentials"
    shutil.copyfile(server.credentials_file, creds_file)
    config_file = home / "config"
    config_file.write_text(f"[default]\nregion = {REGION}\ncli_pager =\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_SHARED_CREDENTIALS_FILE": str(creds_file),
        "AWS_CONFIG_FILE": str(config_file),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "HOME": str(home),
    })

    def run(*args, output="json", check=True):
        cmd = [AWS_CLI, "--endpoint-url", server.endpoint, "--output", output, *args]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        if check:
            assert out.returncode == 0, f"{cmd} failed ({out.returncode}):\n{out.stderr}"
        else:
            return out
        if output == "json":
            return json.loads(out.stdout) if out.stdout.strip() else None
        return out.stdout.strip()

    return run
