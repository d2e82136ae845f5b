#!/usr/bin/python3
"""Encrypt against the number of keys in the store (issue 12).

Two data directories, one with KEYS_SCALE_SMALL keys and one with
KEYS_SCALE_N keys, both made by `coffer admin bulk-create-keys` (batched
transactions, not one CreateKey call per key). `coffer serve` runs on each in
turn, alternating which goes first each round, and wrk drives Encrypt:

  single   one pre-signed Encrypt under one key (the hot-key case)
  spread   a cycle of pre-signed Encrypts under KEYS_SCALE_SPREAD different
           keys (every key of the small store when it has fewer), so key
           lookups and the key cache are exercised, not one cached entry
  same     the same cycle over as many keys in both stores (the small
           store's count): the working set is equal, only the store differs

Printed: requests/s and p99 per round, the medians, the ratio large/small
(issue 12 asks >= 0.9), the server's start time and resident memory, and how
long the bulk creation took. Results also go to $OUT/keys_scale.json.

Knobs (environment, defaults in brackets):
  KEYS_SCALE_N [1000000]   keys in the large store
  KEYS_SCALE_SMALL [100]   keys in the small store
  KEYS_SCALE_SPREAD [1000] keys the spread variant cycles through
  KEYS_SCALE_ROUNDS [3]    A/B rounds
  KEYS_SCALE_DIR [bench/out/keys_scale]  where the data directories live
  KEYS_SCALE_REUSE [1]     1: keep a data directory that already holds the
                           asked-for number of keys (a million take minutes)
  DURATION [10s] WARMUP [3s] CONNECTIONS [32] WRK_THREADS [1] THREADS [nproc]
  COFFER_BIN               the coffer binary (bench/run.sh passes its own)
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import sign_request  # noqa: E402

COFFER = os.environ.get("COFFER_BIN", str(BENCH.parent / "build-bench" / "src" / "cli" / "coffer"))
OUT = Path(os.environ.get("OUT", BENCH / "out"))
LARGE = int(os.environ.get("KEYS_SCALE_N", "1000000"))
SMALL = int(os.environ.get("KEYS_SCALE_SMALL", "100"))
SPREAD = int(os.environ.get("KEYS_SCALE_SPREAD", "1000"))
ROUNDS = int(os.environ.get("KEYS_SCALE_ROUNDS", "3"))
DATA = Path(os.environ.get("KEYS_SCALE_DIR", OUT / "keys_scale"))
REUSE = os.environ.get("KEYS_SCALE_REUSE", "1") == "1"
DURATION = os.environ.get("DURATION", "10s")
WARMUP = os.environ.get("WARMUP", "3s")
CONNECTIONS = os.environ.get("CONNECTIONS", "32")
WRK_THREADS = os.environ.get("WRK_THREADS", "1")
THREADS = os.environ.get("THREADS", str(os.cpu_count()))
PLAINTEXT = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="


def log(text):
    print(f"[keys-scale] {text}", file=sys.stderr, flush=True)


class Server:
    """`coffer serve` on a data directory, as bench/lib.sh starts it."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.ready = data_dir.parent / (data_dir.name + ".ready")
        self.proc = None

    def start(self):
        self.ready.unlink(missing_ok=True)
        # Every start gets a fresh audit trail: the server reads the whole trail
        # at start (key last-usage index), so a trail grown by earlier rounds
        # would be measured instead of the keys (it reached 2 GB, 30 s, 3.9 GB RSS).
        shutil.rmtree(self.data_dir / "audit", ignore_errors=True)
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [COFFER, "serve", "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0", "--ready-file",
             str(self.ready), "--threads", THREADS, "--log-level", "warn", "--quotas", "false"],
            stdout=open(self.data_dir.parent / (self.data_dir.name + ".log"), "ab"), stderr=subprocess.STDOUT)
        while not (self.ready.exists() and self.ready.stat().st_size > 0):
            if self.proc.poll() is not None:
                raise SystemExit(f"coffer exited with {self.proc.returncode}")
            if time.monotonic() - started > 120:
                raise SystemExit("coffer not ready after 120 s")
            time.sleep(0.02)  # polling for the ready file, not synchronising a result
        self.start_seconds = time.monotonic() - started
        self.endpoint = json.loads(self.ready.read_text())["endpoint"]
        self.creds = str(self.data_dir / "credentials")
        return self

    def cpu_seconds(self):
        """User + system CPU the server has used (robust against other load on the machine)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return {name: int(re.search(rf"^{name}:\s+(\d+) kB", status, re.M).group(1)) for name in ("VmRSS", "VmHWM")}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)

    def call(self, target, body):
        url, headers, data = sign_request.sign(self.endpoint, self.creds, target, json.dumps(body))
        import urllib.request
        request = urllib.request.Request(url, data=data, method="POST")
        for name, value in headers:
            if name.lower() != "host":
                request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def account_of(data_dir):
    text = (data_dir / "credentials").read_text()
    return re.search(r"^#\s*account_id\s*=\s*(\d{12})\s*$", text, re.M).group(1)


def make_store(data_dir, count):
    """A data directory holding `count` keys; returns the bulk creation seconds (None: reused)."""
    marker = data_dir.parent / (data_dir.name + ".keys")
    if REUSE and marker.exists() and marker.read_text().strip() == str(count) and data_dir.exists():
        log(f"{data_dir.name}: reusing {count} keys")
        return None
    shutil.rmtree(data_dir, ignore_errors=True)
    marker.unlink(missing_ok=True)
    data_dir.mkdir(parents=True)
    Server(data_dir).start().stop()  # bootstrap: root key, account, credentials
    log(f"{data_dir.name}: creating {count} keys with coffer admin bulk-create-keys")
    started = time.monotonic()
    subprocess.run([COFFER, "admin", "--data-dir", str(data_dir), "bulk-create-keys", "--account-id",
                    account_of(data_dir), "--count", str(count)], check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    log(f"{data_dir.name}: {count} keys in {seconds:.1f} s")
    marker.write_text(str(count))
    return seconds


def some_key_ids(server, count):
    ids, marker = [], None
    while len(ids) < count:
        body = {"Limit": min(1000, count - len(ids))}
        if marker:
            body["Marker"] = marker
        page = server.call("ListKeys", body)
        ids += [k["KeyId"] for k in page["Keys"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    return ids


def raw_request(server, key_id):
    body = json.dumps({"KeyId": key_id, "Plaintext": PLAINTEXT}, separators=(",", ":"))
    _, headers, data = sign_request.sign(server.endpoint, server.creds, "Encrypt", body)
    names = {name.lower() for name, _ in headers}
    lines = ["POST / HTTP/1.1"] + [f"{name}: {value}" for name, value in headers]
    if "content-length" not in names:
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def write_script(path, requests):
    """A wrk script cycling through pre-built raw requests."""
    entries = ",\n".join(sign_request.lua_string(r) for r in requests)
    path.write_text("local requests = {\n" + entries + "\n}\nlocal i = 0\n"
                    "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n")


def wrk(url, script, duration):
    out = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", "-s",
                          str(script), url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit("wrk saw errors:\n" + out)
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1))
    total = int(re.search(r"^\s*(\d+) requests in", out, re.M).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", out, re.M)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, p99_ms, total


def measure(data_dir, count):
    server = Server(data_dir).start()
    try:
        ids = some_key_ids(server, min(SPREAD, count))
        result = {"start_seconds": round(server.start_seconds, 3)}
        for variant, keys in (("single", ids[:1]), ("spread", ids), ("same", ids[:min(SPREAD, SMALL)])):
            script = data_dir.parent / f"{data_dir.name}.{variant}.lua"
            reps = max(1, SPREAD // len(keys))
            write_script(script, [raw_request(server, k) for k in keys] * reps)
            wrk(server.endpoint, script, WARMUP)
            cpu_before = server.cpu_seconds()
            rps, p99, total = wrk(server.endpoint, script, DURATION)
            cpu_us = (server.cpu_seconds() - cpu_before) * 1e6 / total
            result[variant] = {"rps": rps, "p99_ms": p99, "keys": len(keys), "cpu_us_per_request": cpu_us}
            log(f"{count} keys, {variant} over {len(keys)} key(s): {rps:.0f} req/s, p99 {p99:.2f} ms, "
                f"{cpu_us:.1f} CPU us/request")
        result["memory_kib"] = server.memory_kib()
        return result
    finally:
        server.stop()


def main():
    DATA.mkdir(parents=True, exist_ok=True)
    stores = {SMALL: DATA / f"keys-{SMALL}", LARGE: DATA / f"keys-{LARGE}"}
    created = {n: make_store(d, n) for n, d in stores.items()}
    runs = {SMALL: [], LARGE: []}
    for r in range(ROUNDS):
        order = (SMALL, LARGE) if r % 2 == 0 else (LARGE, SMALL)
        for n in order:
            runs[n].append(measure(stores[n], n))
    summary = {"small": SMALL, "large": LARGE, "rounds": runs,
               "bulk_create_seconds": {str(n): s for n, s in created.items()}}
    print(f"\n## Encrypt against the number of keys ({SMALL} vs {LARGE}, {ROUNDS} A/B rounds, "
          f"{CONNECTIONS} connections, {THREADS} IO threads)\n")
    print(f"| variant | {SMALL} keys CPU us/request (median) | {LARGE} keys CPU us/request (median) | "
          f"ratio {SMALL}/{LARGE} (cost) |")
    print("|---|---|---|---|")
    for variant in ("single", "spread", "same"):
        cpu = {n: statistics.median(x[variant]["cpu_us_per_request"] for x in runs[n]) for n in runs}
        summary[f"{variant}_cpu_ratio"] = cpu[SMALL] / cpu[LARGE]
        print(f"| {variant} | {cpu[SMALL]:.1f} | {cpu[LARGE]:.1f} | {cpu[SMALL] / cpu[LARGE]:.3f} |")
    print()
    print(f"| variant | {SMALL} keys req/s (median) | {LARGE} keys req/s (median) | ratio | "
          f"p99 ms {SMALL} / {LARGE} |")
    print("|---|---|---|---|---|")
    for variant in ("single", "spread", "same"):
        med = {n: statistics.median(x[variant]["rps"] for x in runs[n]) for n in runs}
        p99 = {n: statistics.median(x[variant]["p99_ms"] for x in runs[n]) for n in runs}
        ratio = med[LARGE] / med[SMALL]
        summary[f"{variant}_ratio"] = ratio
        print(f"| {variant} | {med[SMALL]:.0f} | {med[LARGE]:.0f} | {ratio:.3f} | "
              f"{p99[SMALL]:.2f} / {p99[LARGE]:.2f} |")
    for n in runs:
        starts = [x["start_seconds"] for x in runs[n]]
        rss = max(x["memory_kib"]["VmHWM"] for x in runs[n])
        print(f"\n{n} keys: server ready in {min(starts):.2f}-{max(starts):.2f} s, peak RSS {rss / 1024:.0f} MiB"
              + (f", bulk creation {created[n]:.1f} s" if created[n] else ""))
    for variant in ("single", "spread", "same"):
        per_round = [x[variant]["rps"] / y[variant]["rps"] for x, y in zip(runs[LARGE], runs[SMALL])]
        print(f"\nper-round {variant} ratios: " + ", ".join(f"{v:.3f}" for v in per_round))
    (OUT / "keys_scale.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
