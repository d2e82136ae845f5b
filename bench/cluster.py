#!/usr/bin/python3
"""Cluster benchmark (docs/performance.md, "Cluster"): on this machine, with
wrk replaying one pre-signed request (bench/sign_request.py), measures

  1. Encrypt req/s through haproxy with 1, 2 and 3 `coffer serve` nodes on one
     PostgreSQL database, as a ratio to 1 node. Every process (wrk, haproxy,
     PostgreSQL, the nodes) shares the machine's cores, so scaling is bounded
     by them, not by the nodes: the ratio says what a second and third node
     cost or gain on the same cores.
  2. CreateKey and Encrypt on one node with the PostgreSQL store against the
     same node on SQLite, as ratios PostgreSQL / SQLite.

Usage: /usr/bin/python3 bench/cluster.py   (run by bench/run.sh unless
       SKIP_CLUSTER=1; CLUSTER_ONLY=1 make bench runs only this part)
Knobs: DURATION [10s] WARMUP [3s] CONNECTIONS [32] WRK_THREADS [1]
       THREADS [nproc]   IO threads of each node
       COFFER_BIN        coffer binary (default build-bench/, then build/)
Writes bench/out/cluster.json and prints the table.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT / "tests" / "integration" / "python"))
from cluster_helpers import Haproxy, PostgresServer, answers_healthz  # noqa: E402

DURATION = os.environ.get("DURATION", "10s")
WARMUP = os.environ.get("WARMUP", "3s")
CONNECTIONS = os.environ.get("CONNECTIONS", "32")
WRK_THREADS = os.environ.get("WRK_THREADS", "1")
THREADS = os.environ.get("THREADS", str(os.cpu_count() or 1))
PLAINTEXT_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def log(msg):
    print(f"[bench-cluster] {msg}", file=sys.stderr, flush=True)


def coffer_bin():
    for candidate in (os.environ.get("COFFER_BIN"), ROOT / "build-bench/src/cli/coffer", ROOT / "build/src/cli/coffer"):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    sys.exit("[bench-cluster] FAIL: no coffer binary (set COFFER_BIN or build the coffer target)")


class Node:
    """One `coffer serve`, quotas off, on a free loopback port."""

    def __init__(self, coffer, data_dir, store_args):
        self.data_dir = Path(data_dir)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        ready = self.data_dir.parent / (self.data_dir.name + ".ready")
        self.log = open(self.data_dir.parent / (self.data_dir.name + ".log"), "wb")
        self.proc = subprocess.Popen(
            [coffer, "serve", "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0",
             "--ready-file", str(ready), "--threads", THREADS, "--log-level", "warn", "--quotas", "false",
             *store_args], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not ready.exists() or not ready.stat().st_size:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"[bench-cluster] FAIL: coffer did not start; see {self.log.name}")
            time.sleep(0.1)  # polling for the ready file, not synchronising a result
        self.endpoint = json.loads(ready.read_text())["endpoint"]
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def start_nodes(coffer, root, count, store_args):
    """`count` nodes: node 0 bootstraps, the others get its root key and credentials."""
    nodes = []
    for i in range(count):
        data_dir = root / f"node{i}"
        if nodes:
            data_dir.mkdir(mode=0o700, parents=True)
            for name in ("root.key", "credentials"):
                shutil.copy2(nodes[0].data_dir / name, data_dir / name)
        nodes.append(Node(coffer, data_dir, store_args))
    return nodes


def start_proxy(root, ports):
    """haproxy (the integration tests' config: round robin, /healthz checks) once it answers."""
    proxy = Haproxy(root, ports)
    deadline = time.monotonic() + 10
    while not answers_healthz(proxy.endpoint):
        if time.monotonic() > deadline:
            sys.exit("[bench-cluster] FAIL: haproxy did not answer /healthz")
        time.sleep(0.1)  # polling for the proxy's first good check, not synchronising a result
    return proxy


def sign(args, endpoint, credentials):
    out = subprocess.run([sys.executable, str(BENCH / "sign_request.py"), *args, "--endpoint", endpoint,
                          "--credentials", str(credentials)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit(f"[bench-cluster] FAIL: sign_request {args[:3]}: {out.stdout}{out.stderr}")
    return out.stdout


def wrk(label, endpoint, credentials, target, body):
    """Warm-up, then the measured run; requests per second."""
    script = OUT / f"cluster-{label}.lua"
    sign(["wrk", "--target", target, "--body", body, "--out", str(script)], endpoint, credentials)
    rates = []
    for phase, duration in (("warm-up", WARMUP), ("measure", DURATION)):
        log(f"{label}: {phase} {duration} at {CONNECTIONS} connections")
        out = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", "-s",
                              str(script), endpoint], capture_output=True, text=True, timeout=600)
        (OUT / f"cluster-{label}.{phase}.wrk.txt").write_text(out.stdout + out.stderr)
        if "Non-2xx" in out.stdout or "Socket errors" in out.stdout or out.returncode != 0:
            sys.exit(f"[bench-cluster] FAIL: {label}: wrk saw errors:\n{out.stdout}{out.stderr}")
        rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1)))
    return rates[-1]


def encrypt_body(endpoint, credentials):
    made = json.loads(sign(["call", "--target", "CreateKey", "--body", '{"Description":"bench"}'], endpoint,
                           credentials))
    return json.dumps({"KeyId": made["KeyMetadata"]["KeyId"], "Plaintext": PLAINTEXT_B64})


def scaling(coffer, pg, tmp):
    """Encrypt req/s through haproxy with 1, 2 and 3 nodes, each on a fresh database."""
    results = {}
    for count in (1, 2, 3):
        store = ["--store", pg.url(pg.new_database("bench"))]
        nodes = start_nodes(coffer, tmp / f"scale{count}", count, store)
        proxy = start_proxy(tmp / f"scale{count}", [n.port for n in nodes])
        try:
            creds = nodes[0].data_dir / "credentials"
            body = encrypt_body(proxy.endpoint, creds)
            results[count] = wrk(f"encrypt-{count}-nodes", proxy.endpoint, creds, "Encrypt", body)
        finally:
            proxy.stop()
            for n in nodes:
                n.stop()
    return results


def store_costs(coffer, pg, tmp):
    """CreateKey and Encrypt req/s on one node, SQLite then PostgreSQL."""
    results = {}
    for name, store in (("sqlite", []), ("postgres", ["--store", pg.url(pg.new_database("bench"))])):
        (node,) = start_nodes(coffer, tmp / f"store-{name}", 1, store)
        try:
            creds = node.data_dir / "credentials"
            body = encrypt_body(node.endpoint, creds)
            results[name] = {
                "Encrypt": wrk(f"encrypt-{name}", node.endpoint, creds, "Encrypt", body),
                "CreateKey": wrk(f"createkey-{name}", node.endpoint, creds, "CreateKey", '{"Description":"b"}'),
            }
        finally:
            node.stop()
    return results


def report(scale, stores):
    lines = [f"Encrypt through haproxy, {CONNECTIONS} connections, {DURATION}, {os.cpu_count()} cores, "
             f"{THREADS} IO threads per node:", "", "| Nodes | Encrypt req/s | vs 1 node |", "|---|---|---|"]
    for count, rate in scale.items():
        lines.append(f"| {count} | {rate:,.0f} | {rate / scale[1]:.2f} |")
    lines += ["", "One node, PostgreSQL store against SQLite:", "",
              "| Operation | SQLite req/s | PostgreSQL req/s | PostgreSQL / SQLite |", "|---|---|---|---|"]
    for op in ("CreateKey", "Encrypt"):
        sq, pgr = stores["sqlite"][op], stores["postgres"][op]
        lines.append(f"| {op} | {sq:,.0f} | {pgr:,.0f} | {pgr / sq:.2f} |")
    return "\n".join(lines)


def main():
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            sys.exit(f"[bench-cluster] FAIL: {tool} missing (bench/run.sh installs it)")
    coffer = coffer_bin()
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="coffer-bench-cluster-"))
    pg = PostgresServer().start()
    try:
        scale = scaling(coffer, pg, tmp)
        stores = store_costs(coffer, pg, tmp)
    finally:
        pg.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
    result = {"connections": int(CONNECTIONS), "duration": DURATION, "cores": os.cpu_count(),
              "threads_per_node": int(THREADS), "encrypt_by_nodes": scale,
              "encrypt_ratio_to_one_node": {n: r / scale[1] for n, r in scale.items()}, "stores": stores,
              "postgres_over_sqlite": {op: stores["postgres"][op] / stores["sqlite"][op]
                                       for op in ("CreateKey", "Encrypt")}}
    (OUT / "cluster.json").write_text(json.dumps(result, indent=2) + "\n")
    print(report(scale, stores))


if __name__ == "__main__":
    main()
