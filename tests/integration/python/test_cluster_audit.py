"""The audit trail of a cluster: nodes on one PostgreSQL database, each writing
its own hash chain into <shared>/<node-id>/ (`--audit-dir <shared>`).
LookupEvents on any node returns every node's events, merged newest first,
with a NextToken any node continues; `coffer audit verify --cluster-dir
<shared> --store <db>` checks every node's chain against the signing keys the
nodes registered in the store, and names the node whose chain was tampered
with or is missing.

PostgreSQL is Debian's, started on loopback by cluster_helpers.py; the nodes
are real `coffer serve` processes (test_cluster.Cluster). Nothing is mocked.
"""

import json
import shutil
import time

import pytest

from audit_helpers import FAST_LOOKUP, audit_cli, lookup_all, make_cloudtrail, write_config
from cluster_helpers import PostgresServer
from conftest import CofferServer, Credentials, make_kms, wait_for
from test_cluster import Cluster
from test_secrets import make_sm


@pytest.fixture(scope="module")
def postgres():
    pg = PostgresServer().start()
    yield pg
    pg.destroy()


class AuditedCluster(Cluster):
    """Three nodes sharing one audit directory (strict durability, the default)."""

    def __init__(self, postgres, tmp_path, nodes=3, extra_args=()):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.shared = tmp_path / "shared-audit"
        config = write_config(tmp_path, FAST_LOOKUP)
        super().__init__(postgres, tmp_path / "nodes",
                         ["--audit-dir", str(self.shared), "--quota-config", config, *extra_args])
        for _ in range(nodes):
            self.add_node()

    def node_id(self, node):
        return (node.data_dir / "node-id").read_text().strip()

    def verify(self, *extra):
        return audit_cli("verify", "--cluster-dir", str(self.shared), "--store", self.store, *extra)


@pytest.fixture
def audited(postgres, tmp_path):
    made = []

    def make(**kwargs):
        c = AuditedCluster(postgres, tmp_path / f"c{len(made)}", **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop_all()


def events_of(cloudtrail, **kwargs):
    return [json.loads(e["CloudTrailEvent"]) for e in lookup_all(cloudtrail, **kwargs)]


def test_each_node_writes_its_own_chain_under_its_node_id(audited):
    c = audited()
    ids = [c.node_id(n) for n in c.nodes]
    assert len(set(ids)) == 3
    for node, node_id in zip(c.nodes, ids):
        assert (c.shared / node_id / "events.jsonl").is_file()
        assert (c.shared / node_id / "public-key.pem").is_file()
        assert not (node.data_dir / "audit" / "events.jsonl").exists()


def test_lookup_on_any_node_sees_acknowledged_events_of_every_node(audited):
    c = audited()
    a, b, n3 = c.nodes
    key_id = make_kms(a).create_key(Description="audited on node 0")["KeyMetadata"]["KeyId"]
    make_kms(b).encrypt(KeyId=key_id, Plaintext=b"audited on node 1")
    # Strict mode: each answer came after its event was on disk, so node 2
    # sees both at once (no wait, no retry).
    attrs = [{"AttributeKey": "ResourceName", "AttributeValue": key_id}]
    page = lookup_all(make_cloudtrail(n3), LookupAttributes=attrs)
    events = [json.loads(e["CloudTrailEvent"]) for e in page]
    by_name = {e["eventName"]: e for e in events}
    assert by_name["CreateKey"]["cofferNodeId"] == c.node_id(a)
    assert by_name["Encrypt"]["cofferNodeId"] == c.node_id(b)
    times = [e["EventTime"] for e in page]
    assert times == sorted(times, reverse=True)  # newest first (ties: by node id)
    # Every node answers the same merged list.
    for node in c.nodes:
        assert [e["EventId"] for e in lookup_all(make_cloudtrail(node), LookupAttributes=attrs)] == \
            [e["EventId"] for e in page]


def test_batched_events_reach_other_nodes_within_the_flush_interval(audited):
    c = audited(nodes=2, extra_args=["--audit-durability", "batched"])
    a, b = c.nodes
    key_id = make_kms(a).create_key()["KeyMetadata"]["KeyId"]
    acknowledged = time.monotonic()
    attrs = [{"AttributeKey": "ResourceName", "AttributeValue": key_id}]
    cloudtrail = make_cloudtrail(b)

    def seen():
        return [e for e in cloudtrail.lookup_events(LookupAttributes=attrs)["Events"]
                if e["EventName"] == "CreateKey"] or None

    wait_for(seen, 5.0, "node 0's batched CreateKey event in node 1's LookupEvents")
    delay = time.monotonic() - acknowledged
    # Documented bound: the 200 ms flush interval plus the write; the rest is
    # slack for a loaded CI machine (lookups run back to back while polling).
    print(f"batched event visible on another node after {delay:.3f} s")
    assert delay < 1.5, f"batched event visible on another node after {delay:.3f} s"


def test_key_last_usage_sees_uses_on_other_nodes(audited):
    c = audited()
    a, b, n3 = c.nodes
    key = make_kms(a).create_key()["KeyMetadata"]
    # Node 1 looks first (nothing yet), then node 2 uses the key: node 1's
    # next answer has that use, though it never passed node 1.
    assert not make_kms(b).get_key_last_usage(KeyId=key["Arn"]).get("KeyLastUsage")
    made = make_kms(n3).generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    last = make_kms(b).get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    assert last["Operation"] == "GenerateDataKey"
    assert last["KmsRequestId"] == made["ResponseMetadata"]["RequestId"]
    assert make_kms(a).get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]["KmsRequestId"] == \
        made["ResponseMetadata"]["RequestId"]


def test_next_token_from_one_node_continues_on_another(audited):
    c = audited()
    for i, node in enumerate(c.nodes * 3):
        make_kms(node).create_key(Description=f"paging {i}")
    whole = [e["EventId"] for e in lookup_all(make_cloudtrail(c.nodes[0]),
                                              LookupAttributes=[{"AttributeKey": "EventName",
                                                                 "AttributeValue": "CreateKey"}])]
    assert len(whole) == 9
    paged, token, turn = [], None, 0
    while True:
        kwargs = {"MaxResults": 2, "LookupAttributes": [{"AttributeKey": "EventName",
                                                         "AttributeValue": "CreateKey"}]}
        if token:
            kwargs["NextToken"] = token
        page = make_cloudtrail(c.nodes[turn % 3]).lookup_events(**kwargs)
        turn += 1
        paged += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paged == whole
    assert turn == 5


def test_lookup_keeps_account_scoping_across_nodes(audited):
    c = audited(nodes=2)
    a, b = c.nodes
    make_kms(a).create_key(Description="account scoped")
    store = ("--store", c.store)
    acct = b.admin(*store, "create-account", "--name", "other")["AccountId"]
    b.admin(*store, "create-user", "--account-id", acct, "--user-name", "bob")
    key = b.admin(*store, "create-access-key", "--account-id", acct, "--user-name", "bob")
    other = Credentials(key["AccessKeyId"], key["SecretAccessKey"], acct)
    make_kms(a, creds=other).list_keys()
    seen = events_of(make_cloudtrail(b, creds=other))
    assert seen and all(e["recipientAccountId"] == acct for e in seen)
    assert not [e for e in seen if e["eventName"] == "CreateKey"]


def test_verify_checks_every_nodes_chain_and_names_a_tampered_one(audited):
    c = audited()
    a, b, n3 = c.nodes
    key_id = make_kms(a).create_key()["KeyMetadata"]["KeyId"]
    make_kms(b).encrypt(KeyId=key_id, Plaintext=b"x")
    make_kms(n3).describe_key(KeyId=key_id)
    c.stop_all()  # each node signs a final digest

    code, report = c.verify()
    assert code == 0, report
    assert report["valid"] is True
    assert sorted(n["nodeId"] for n in report["nodes"]) == sorted(c.node_id(n) for n in c.nodes)
    for node in report["nodes"]:
        assert node["valid"] is True and node["publicKeyFrom"] == "store"
        assert node["recordsAfterLastDigest"] == 0

    victim = c.node_id(b)
    events = c.shared / victim / "events.jsonl"
    lines = events.read_text().splitlines()
    edited = next(i for i, line in enumerate(lines) if '"eventName":"Encrypt"' in line)
    lines[edited] = lines[edited].replace('"eventName":"Encrypt"', '"eventName":"Decrypt"')
    events.write_text("\n".join(lines) + "\n")

    code, report = c.verify()
    assert code == 1
    assert report["valid"] is False
    by_id = {n["nodeId"]: n for n in report["nodes"]}
    assert by_id[victim]["valid"] is False
    assert "edited" in by_id[victim]["firstRecordProblem"]["problem"]
    assert by_id[victim]["firstRecordProblem"]["line"] == edited + 1
    assert all(n["valid"] for node_id, n in by_id.items() if node_id != victim)


def test_verify_fails_for_a_registered_node_whose_chain_is_gone(audited):
    c = audited(nodes=2)
    make_kms(c.nodes[0]).list_keys()
    c.stop_all()
    gone = c.node_id(c.nodes[1])
    (c.shared / gone / "events.jsonl").unlink()
    code, report = c.verify()
    assert code == 1
    by_id = {n["nodeId"]: n for n in report["nodes"]}
    assert by_id[gone]["valid"] is False and "chain missing" in by_id[gone]["error"]
    assert by_id[c.node_id(c.nodes[0])]["valid"] is True
    # Without the store's register a vanished node directory would go unseen;
    # a vanished file in a directory that is still there does not.
    code, report = audit_cli("verify", "--cluster-dir", str(c.shared))
    assert code == 1


def test_verify_refuses_a_chain_signed_with_a_key_the_store_does_not_know(audited, tmp_path):
    c = audited(nodes=2)
    make_kms(c.nodes[0]).list_keys()
    c.stop_all()
    # Node 1's whole directory (chain, key, public-key.pem) replaced by another
    # server's consistent chain: it verifies against itself, not against the store.
    victim = c.node_id(c.nodes[1])
    forger = CofferServer(tmp_path / "forger", extra_args=["--audit-dir", str(tmp_path / "forged"),
                                                           "--node-id", victim]).start()
    make_kms(forger).list_keys()
    assert forger.stop() == 0
    target = c.shared / victim
    for name in ("events.jsonl", "digests.jsonl", "public-key.pem"):
        (target / name).write_bytes((tmp_path / "forged" / victim / name).read_bytes())
    code, report = audit_cli("verify", "--cluster-dir", str(c.shared))
    assert code == 0, report  # consistent with itself
    code, report = c.verify()
    assert code == 1
    by_id = {n["nodeId"]: n for n in report["nodes"]}
    assert "signed by another key" in by_id[victim]["firstDigestProblem"]["problem"]


def test_a_second_process_with_the_same_node_id_is_refused(audited, tmp_path):
    c = audited(nodes=1)
    taken = c.node_id(c.nodes[0])
    data_dir = tmp_path / "twin"
    data_dir.mkdir(mode=0o700)
    for name in ("root.key", "credentials"):
        shutil.copy2(c.nodes[0].data_dir / name, data_dir / name)
    twin = CofferServer(data_dir, extra_args=[*c.extra_args, "--node-id", taken])
    with pytest.raises(RuntimeError, match="in use by another process"):
        twin.start()


def test_a_bad_node_id_is_refused_at_start(tmp_path):
    server = CofferServer(tmp_path / "bad", extra_args=["--node-id", "../escape"])
    with pytest.raises(RuntimeError, match="--node-id must be"):
        server.start()


def test_the_node_id_is_kept_across_restarts(audited):
    c = audited(nodes=1)
    node = c.nodes[0]
    before = c.node_id(node)
    assert node.stop() == 0
    node.start()
    assert c.node_id(node) == before
    make_kms(node).list_keys()
    assert node.stop() == 0
    code, report = c.verify()
    assert code == 0, report
    assert report["nodes"][0]["digests"] == 2  # one chain, continued


def test_secret_values_never_reach_the_shared_directory(audited):
    c = audited(nodes=2)
    secret = "never-in-the-trail-7f3a9c"
    make_sm(c.nodes[0]).create_secret(Name="audited-secret", SecretString=secret)
    assert make_sm(c.nodes[1]).get_secret_value(SecretId="audited-secret")["SecretString"] == secret
    c.stop_all()
    for path in c.shared.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_a_shared_audit_dir_without_a_node_id_is_refused_at_start(tmp_path):
    server = CofferServer(tmp_path / "single", extra_args=["--audit-dir", str(tmp_path / "shared")])
    with pytest.raises(RuntimeError, match="--audit-dir needs a node id"):
        server.start()


def test_verify_of_a_directory_without_node_chains_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    code, body = audit_cli("verify", "--cluster-dir", str(tmp_path / "empty"))
    assert code == 2
    assert "no node chains" in body
