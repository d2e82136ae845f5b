"""Cluster mode: several `coffer serve` nodes on one PostgreSQL database
(`--store postgresql://...`), each with its own data directory holding a copy
of the same root key. A write through one node is read through another;
a grant revoked or a policy detached on one node is refused on another within
the documented bound (docs/operations.md, "Cluster"); the sweeper runs on one
node at a time and moves when that node is killed.

PostgreSQL comes from Debian's postgresql package, started on loopback in a
temp dir by the fixture (cluster_helpers.py); nothing is mocked.
"""

import json
import shutil
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from cluster_helpers import PostgresServer
from conftest import CofferServer, Credentials, expect_error, make_kms, wait_for
from test_authorization import make_client
from test_secrets import make_sm
from test_session_expiry import clocks  # noqa: F401  (fixture)
from test_ssm import make_ssm

# --cluster-check-ms of the nodes below: the bound on how long a missed
# change notification can leave a node's caches stale.
CHECK_MS = 500


@pytest.fixture(scope="module")
def postgres():
    pg = PostgresServer().start()
    yield pg
    pg.destroy()


class Cluster:
    """Nodes on one database; node 0 bootstraps, the others get its root key and credentials."""

    def __init__(self, postgres, root, extra_args=()):
        self.store = postgres.url(postgres.new_database("cluster"))
        self.root = root
        self.extra_args = ["--store", self.store, "--cluster-check-ms", str(CHECK_MS), *extra_args]
        self.nodes = []

    def add_node(self):
        data_dir = self.root / f"node{len(self.nodes)}"
        if self.nodes:
            data_dir.mkdir(parents=True)
            data_dir.chmod(0o700)
            first = self.nodes[0].data_dir
            for name in ("root.key", "credentials"):
                shutil.copy2(first / name, data_dir / name)
        node = CofferServer(data_dir, extra_args=self.extra_args).start()
        self.nodes.append(node)
        return node

    def stop_all(self):
        for node in self.nodes:
            if node.proc is not None:
                assert node.stop() == 0, "coffer did not exit 0 on SIGTERM"


@pytest.fixture
def cluster(postgres, tmp_path):
    made = []

    def make(nodes=2, extra_args=()):
        c = Cluster(postgres, tmp_path / f"cluster{len(made)}", extra_args)
        made.append(c)
        for _ in range(nodes):
            c.add_node()
        return c

    yield make
    for c in made:
        c.stop_all()


def test_writes_on_one_node_are_read_on_the_others(cluster):
    c = cluster(nodes=3)
    a, b, n3 = c.nodes
    key_id = make_kms(a).create_key(Description="made on node 0")["KeyMetadata"]["KeyId"]
    blob = make_kms(b).encrypt(KeyId=key_id, Plaintext=b"across nodes")["CiphertextBlob"]
    assert make_kms(n3).decrypt(CiphertextBlob=blob)["Plaintext"] == b"across nodes"
    assert make_kms(n3).describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "made on node 0"

    make_sm(b).create_secret(Name="db-password", SecretString="s3cr3t")
    make_sm(a).put_secret_value(SecretId="db-password", SecretString="rotated")
    assert make_sm(n3).get_secret_value(SecretId="db-password")["SecretString"] == "rotated"

    make_ssm(n3).put_parameter(Name="/app/url", Value="https://example.com", Type="String")
    assert make_ssm(a).get_parameter(Name="/app/url")["Parameter"]["Value"] == "https://example.com"


def test_a_disabled_key_is_refused_on_the_node_that_had_it_cached(cluster):
    c = cluster(nodes=2)
    a, b = c.nodes
    kms_a, kms_b = make_kms(a), make_kms(b)
    key_id = kms_a.create_key()["KeyMetadata"]["KeyId"]
    kms_b.encrypt(KeyId=key_id, Plaintext=b"warm the cache")
    kms_a.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms_b.encrypt, KeyId=key_id, Plaintext=b"x")


def new_user(node, iam):
    name = "user-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], node.creds.account_id)
    return name, creds


def refused_within(call, bound_s, what):
    """Polls `call` until it raises AccessDenied; returns the seconds that took."""
    start = time.monotonic()

    def refused():
        try:
            call()
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "AccessDeniedException"
    wait_for(refused, bound_s, what)
    return time.monotonic() - start


def allowed_then_refused(use, take_away, what):
    """`use` (on node 1) is allowed and cached; after `take_away` (on node 0)
    it is refused within the bound."""
    wait_for(lambda: _allowed(use), 5, "the permission to take effect on node 1")
    use()
    take_away()
    took = refused_within(use, CHECK_MS / 1000 + 2, f"node 1 to refuse after the {what} on node 0")
    assert took <= CHECK_MS / 1000 + 2


def test_grant_revoked_on_one_node_is_refused_on_another_within_the_bound(cluster):
    c = cluster(nodes=2)
    a, b = c.nodes
    name, creds = new_user(a, make_client(a, "iam", a.creds))
    kms_a = make_kms(a)
    key_id = kms_a.create_key()["KeyMetadata"]["KeyId"]
    grantee = f"arn:aws:iam::{a.creds.account_id}:user/{name}"
    grant = kms_a.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["GenerateDataKey"])
    user_on_b = make_kms(b, creds=creds)

    allowed_then_refused(lambda: user_on_b.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
                         lambda: kms_a.revoke_grant(KeyId=key_id, GrantId=grant["GrantId"]), "revoke")


def test_policy_detached_on_one_node_is_refused_on_another_within_the_bound(cluster):
    c = cluster(nodes=2)
    a, b = c.nodes
    iam_a = make_client(a, "iam", a.creds)
    name, creds = new_user(a, iam_a)
    key_id = make_kms(a).create_key()["KeyMetadata"]["KeyId"]
    doc = {"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}
    policy = iam_a.create_policy(PolicyName="enc-" + name, PolicyDocument=json.dumps(doc))["Policy"]
    iam_a.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    user_on_b = make_kms(b, creds=creds)

    allowed_then_refused(lambda: user_on_b.encrypt(KeyId=key_id, Plaintext=b"x"),
                         lambda: iam_a.detach_user_policy(UserName=name, PolicyArn=policy["Arn"]), "detach")


def test_access_key_deleted_on_one_node_is_unknown_on_another(cluster):
    c = cluster(nodes=2)
    a, b = c.nodes
    iam_a = make_client(a, "iam", a.creds)
    name, creds = new_user(a, iam_a)
    sts_b = make_client(b, "sts", creds)
    assert sts_b.get_caller_identity()["Arn"].endswith(f":user/{name}")  # signing key cached on node 1
    iam_a.delete_access_key(UserName=name, AccessKeyId=creds.access_key_id)

    def unknown():
        try:
            sts_b.get_caller_identity()
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] in ("InvalidClientTokenId", "UnrecognizedClientException")
    wait_for(unknown, CHECK_MS / 1000 + 2, "node 1 to forget the deleted access key")


def _allowed(call):
    try:
        call()
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "AccessDeniedException":
            return False
        raise


def leader_of(c):
    leaders = [n for n in c.nodes if n.proc is not None and "now leads the cluster's sweeps" in n.log_path.read_text(errors="replace")]
    return leaders


def test_sweeper_runs_on_one_node_and_moves_when_it_is_killed(cluster, clocks):  # noqa: F811
    c = cluster(nodes=2, extra_args=["--test-clock", str(clocks.file), "--sweep-interval", "1"])
    a, b = c.nodes
    wait_for(lambda: leader_of(c) or None, 20, "a node to lead the sweeps")
    leaders = leader_of(c)
    assert len(leaders) == 1, "exactly one node leads"
    leader = leaders[0]
    survivor = b if leader is a else a
    leader.kill9()

    kms_s = make_kms(survivor)
    key_id = kms_s.create_key()["KeyMetadata"]["KeyId"]
    kms_s.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    wait_for(lambda: leader_of(c) == [survivor] or None, 20, "the survivor to take over the sweeps")
    clocks(8 * 86400)

    def deleted():
        try:
            kms_s.describe_key(KeyId=key_id)
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "NotFoundException"
    wait_for(deleted, 30, "the surviving node's sweeper to delete the key")
