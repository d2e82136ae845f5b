"""Cluster mode of the fixtures (COFFER_TEST_CLUSTER=N, with COFFER_TEST_POSTGRES).

Every server the suites start is then N `coffer serve` nodes on one fresh
PostgreSQL database behind one haproxy running deploy/haproxy.cfg (round
robin per request), so consecutive requests of a test land on different
nodes. The nodes share what a real
cluster shares: the database, the root key and admin credentials (node 0
bootstraps, the others get copies of its root key files and `credentials`),
the S3 blob directory (node 0's default one, so tests that look at
<data-dir>/s3/blobs still find the bytes), one --audit-dir and every option
of the test (a --test-clock file moves every node's clock). The object has
the interface of a single server: endpoint and port are haproxy's, data_dir
and credentials_file node 0's; stop/start/kill9 act on every node (haproxy
is stopped and started with them; like a single server's, the endpoint may
change at a restart).

Tests that need a single process are in EXCLUDED, each with its reason;
conftest.py skips them in cluster mode (docs/operations.md lists them too).
"""

import re
import shutil
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cluster_helpers import free_port

DEPLOY_CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "haproxy.cfg"

# pytest node id (relative to this directory) -> why it cannot pass through
# haproxy in front of several nodes. Kept in step with docs/operations.md
# ("Existing suites through haproxy").
TLS = ("starts a TLS server: the fixture's haproxy speaks plain HTTP to clients and nodes, so the "
       "nodes would see no TLS (aws:SecureTransport false behind a proxy that terminates TLS)")
SAME_SECOND = ("two uses of a key within one second land on different nodes, and GetKeyLastUsage cannot "
               "order uses on two nodes in the same second (eventTime has second precision; "
               "docs/operations.md, audit in a cluster)")
EXCLUDED = {
    "test_s3.py::test_audit_trail_records_s3_requests":
        "reads <data-dir>/audit/events.jsonl, one node's trail; a cluster writes one chain per node "
        "under --audit-dir (test_cluster_audit.py covers that layout)",
    "test_authorization.py::test_secure_transport_allows_over_tls": TLS,
    "test_s3_policy.py::test_scenario4_secure_transport": TLS,
    "test_s3_policy.py::test_scenario5_both_policies": TLS,
    "test_authorization.py::test_get_key_last_usage_reports_the_last_cryptographic_use": SAME_SECOND,
    "test_authorization.py::test_get_key_last_usage_survives_a_restart": SAME_SECOND,
    "test_s3_policy.py::test_coffer_policy_simulate_reads_the_bucket_policy":
        "runs `coffer policy simulate --data-dir DIR` without the server's --store, so it reads an "
        "empty SQLite store instead of the cluster's PostgreSQL database",
}

HAPROXY_READY_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.02
# Files of node 0's data directory every other node needs a copy of.
SHARED_FILES = ("root.key", "root.salt", "credentials")


class Haproxy:
    """Debian's haproxy with the shipped configuration (round robin per
    request, /healthz checks), and a stats socket that tells when every node
    is UP and how many requests each got."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.port = free_port()
        # Unix socket paths are short (108 bytes); pytest's dirs can be long.
        self.sock_dir = Path(tempfile.mkdtemp(prefix="coffer-hap-"))
        self.socket = self.sock_dir / "stats.sock"
        self.proc = None
        self._log = None

    def config(self, backends):
        """deploy/haproxy.cfg (the shipped configuration), its listener and
        servers moved to loopback, faster checks and a stats socket added."""
        lines = []
        for line in DEPLOY_CONFIG.read_text().splitlines():
            if re.match(r"\s*server node\d+ ", line):
                continue
            if line.strip() == "bind :4566":
                line = f"    bind 127.0.0.1:{self.port}"
            # Checks every 100 ms, not every second: a test waits for them
            # after every start of its cluster.
            line = line.replace("check inter 1s ", "check inter 100ms ")
            lines.append(line)
            if line == "global":
                lines.append(f"    stats socket {self.socket} level admin")
        lines += [f"    server node{i} 127.0.0.1:{port}" for i, port in enumerate(backends)]
        text = "\n".join(lines) + "\n"
        assert text.count("127.0.0.1") == len(backends) + 1 and "inter 100ms" in text, \
            "deploy/haproxy.cfg changed shape"
        return text

    def start(self, backends):
        cfg = self.log_dir / "haproxy.cfg"
        cfg.write_text(self.config(backends))
        if self.socket.exists():
            self.socket.unlink()
        self._log = open(self.log_dir / "haproxy.log", "ab")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + HAPROXY_READY_TIMEOUT_S
        while not self.all_up(len(backends)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not see {len(backends)} nodes UP; log:\n"
                                   + (self.log_dir / "haproxy.log").read_text(errors="replace")[-3000:])
            time.sleep(POLL_INTERVAL_S)

    def stats(self):
        """Rows of `show stat` for the nodes, as dicts; [] while the socket is not up."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(str(self.socket))
                s.sendall(b"show stat\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        except OSError:
            return []
        lines = data.decode().splitlines()
        if not lines or not lines[0].startswith("# "):
            return []
        header = lines[0][2:].split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return [r for r in rows if r.get("type") == "2"]  # servers (0: frontend, 1: backend)

    def all_up(self, count):
        rows = self.stats()
        return len(rows) == count and all(r["status"] == "UP" for r in rows)

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc = None
        self._log.close()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.sock_dir, ignore_errors=True)


class CofferCluster:
    """N nodes of `node_class` (conftest's single-process server) behind haproxy,
    with the interface of one server."""

    def __init__(self, node_class, count, data_dir, tls, extra_args, store_args):
        assert not tls, "cluster mode serves plain HTTP (haproxy in http mode)"
        assert "--store" in store_args, "cluster mode needs COFFER_TEST_POSTGRES"
        self.data_dir = Path(data_dir)
        self.tls = tls
        self.extra_args = list(extra_args)
        self.store_args = list(store_args)
        self.count = count
        self.node_class = node_class
        self.nodes = [self._node(i, self._node_args(i)) for i in range(count)]
        self.haproxy = None
        self.endpoint = self.port = self.region = self.creds = None

    def _node_dir(self, i):
        return self.data_dir if i == 0 else self.data_dir.parent / f"{self.data_dir.name}.node{i}"

    def _node_args(self, i):
        args = [*self.extra_args, *self.store_args, "--node-id", f"{self.data_dir.name}-n{i}",
                "--audit-dir", str(self.data_dir.parent / f"{self.data_dir.name}.audit")]
        if "--s3-blob-dir" not in self.extra_args:
            args += ["--s3-blob-dir", str(self.data_dir / "s3" / "blobs")]
        return args

    def _node(self, i, args):
        node = self.node_class(self._node_dir(i), extra_args=args)
        node.store_args = self.store_args  # what its `coffer admin` calls need too
        return node

    def _copy_shared_files(self, i):
        target = self._node_dir(i)
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(0o700)
        for name in SHARED_FILES:
            if (self.data_dir / name).exists():
                shutil.copy2(self.data_dir / name, target / name)

    def start(self, port=0):  # noqa: ARG002 (nodes and haproxy take free ports)
        assert self.proc is None, "server already running"
        # Node 0 first: on an empty database it creates the account and the
        # root key the others get copies of; the rest start together.
        self.nodes[0].start()
        for i in range(1, self.count):
            self._copy_shared_files(i)
        with ThreadPoolExecutor(self.count) as pool:
            list(pool.map(lambda node: node.start(), self.nodes[1:]))
        self.haproxy = self.haproxy or Haproxy(self.data_dir.parent / f"{self.data_dir.name}.haproxy")
        self.haproxy.log_dir.mkdir(parents=True, exist_ok=True)
        self.haproxy.start([node.port for node in self.nodes])
        self.port = self.haproxy.port
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.region = self.nodes[0].region
        self.creds = self.nodes[0].creds
        return self

    @property
    def proc(self):
        """A running node's process (None when none runs), as fixtures check it."""
        return next((n.proc for n in self.nodes if n.proc is not None), None)

    # Node 0's files stand for the cluster's (the credentials are the same everywhere).
    ready_file = property(lambda self: self.nodes[0].ready_file)
    credentials_file = property(lambda self: self.nodes[0].credentials_file)
    log_path = property(lambda self: self.nodes[0].log_path)

    def log_text(self):
        return "\n".join(f"--- node {i}:\n{n.log_text()}" for i, n in enumerate(self.nodes))

    def stop(self):
        """Graceful shutdown of every node; the first non-zero exit code, else 0."""
        codes = [n.stop() for n in self.nodes if n.proc is not None]
        self._stop_haproxy()
        return next((c for c in codes if c != 0), 0)

    def crashed(self):
        return next((c for c in (n.crashed() for n in self.nodes) if c is not None), None)

    def restart_after_crash(self):
        self.kill9()
        self.start()

    def kill9(self):
        for node in self.nodes:
            if node.proc is not None:
                node.kill9()
        self._stop_haproxy()

    def _stop_haproxy(self):
        if self.haproxy:
            self.haproxy.destroy()
            self.haproxy = None

    def _close(self):
        for node in self.nodes:
            node._close()

    def admin(self, *args):
        return self._node(0, self.store_args).admin(*args)

    def requests_per_node(self):
        """Requests haproxy sent to each node so far (its `stot` counters)."""
        return [int(r["stot"]) for r in self.haproxy.stats()]


def exclusion_reason(nodeid):
    """The EXCLUDED reason of a collected test (its node id may carry a path prefix)."""
    for excluded, reason in EXCLUDED.items():
        if nodeid == excluded or nodeid.endswith("/" + excluded) or nodeid.startswith(excluded + "["):
            return reason
    return None
