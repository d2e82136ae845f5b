#!/usr/bin/python3
"""Parses bench/run.sh's raw outputs (wrk, openssl speed, kms_crypto_bench
JSON) in --out-dir, prints the results table and writes it as markdown to
OUT_DIR/results.md. Exit status 2 when the Encrypt target is missed."""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

TARGET_RATIO = 0.45
TARGET_P99_MS = 2.0
OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey")


def to_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError("bad wrk latency %r" % text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(path):
    text = open(path, encoding="utf-8").read()
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    total = re.search(r"^\s+(\d+) requests in", text, re.M)
    if not (rps and p50 and p99 and total):
        raise ValueError("cannot parse wrk output " + path)
    if "Non-2xx or 3xx responses" in text:
        raise ValueError("non-2xx responses in " + path)
    return {"rps": float(rps.group(1)), "p50": to_ms(p50.group(1)), "p99": to_ms(p99.group(1)),
            "requests": int(total.group(1))}


def parse_openssl(path):
    """Bytes/s for the 256-byte column of `openssl speed` (figures are in 1000s of bytes/s)."""
    if not os.path.exists(path):
        return None
    value = None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^(aes-256-gcm|AES-256-GCM)\s+([0-9.]+)k\s*$", line.strip(), re.I)
        if m:
            value = float(m.group(2)) * 1000.0
    return value


def parse_gbench(path):
    if not os.path.exists(path):
        return {}
    data = json.load(open(path, encoding="utf-8"))
    out = {}
    for b in data.get("benchmarks", []):
        name = b["name"].split("/")[0]
        out[name] = b
    return out


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%d cores (nproc), %s, %s" % (os.cpu_count() or 0, model, platform.platform())


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__)), check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--connections", default="32")
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--wrk-threads", default="1")
    args = ap.parse_args()
    d = args.out_dir

    before = parse_wrk(os.path.join(d, "nginx-before.wrk.txt"))
    after = parse_wrk(os.path.join(d, "nginx-after.wrk.txt"))
    nginx = {k: (before[k] + after[k]) / 2 for k in ("rps", "p50", "p99")}
    ops = {op: parse_wrk(os.path.join(d, op + ".wrk.txt")) for op in OPERATIONS}

    enc = ops["Encrypt"]
    ratio = enc["rps"] / nginx["rps"]
    passed = ratio >= TARGET_RATIO and enc["p99"] < TARGET_P99_MS
    target_line = "Encrypt >= %.2f x nginx with p99 < %g ms at %s connections: %s" % (
        TARGET_RATIO, TARGET_P99_MS, args.connections, "PASS" if passed else "FAIL")
    why = []
    if ratio < TARGET_RATIO:
        why.append("ratio %.2f < %.2f" % (ratio, TARGET_RATIO))
    if enc["p99"] >= TARGET_P99_MS:
        why.append("p99 %.2f ms >= %g ms" % (enc["p99"], TARGET_P99_MS))

    rows = [("nginx (baseline, mean)", nginx, 1.0)]
    rows += [("coffer " + op, ops[op], ops[op]["rps"] / nginx["rps"]) for op in OPERATIONS]
    header = ("Operation", "req/s", "p50 (ms)", "p99 (ms)", "coffer/nginx")
    cells = [(name, "%.0f" % r["rps"], "%.2f" % r["p50"], "%.2f" % r["p99"], "%.2f" % ratio_)
             for name, r, ratio_ in rows]

    # crypto
    ossl = parse_openssl(os.path.join(d, "openssl-speed.txt"))
    ossl_aead = parse_openssl(os.path.join(d, "openssl-speed-aead.txt"))
    gb = parse_gbench(os.path.join(d, "kms_crypto_bench.json"))
    crypto_rows = []
    if ossl:
        crypto_rows.append(("openssl speed -evp aes-256-gcm, 256 B", "%.1f" % (ossl / 1e6), "%.0f" % (ossl / 256), "1.00"))
    if ossl_aead:
        crypto_rows.append(("openssl speed -aead -evp aes-256-gcm, 256 B", "%.1f" % (ossl_aead / 1e6),
                            "%.0f" % (ossl_aead / 256), "%.2f" % (ossl_aead / ossl) if ossl else "-"))
    labels = {"BM_AesGcmSeal": "crypto::AesGcmSeal, 256 B",
              "BM_SealCiphertext": "kms::SealCiphertext (HKDF + GCM), 256 B",
              "BM_OpenCiphertext": "kms::OpenCiphertext (HKDF + GCM), 256 B",
              "BM_HkdfSha256": "crypto::HkdfSha256 (32-byte key)"}
    for key, label in labels.items():
        b = gb.get(key)
        if not b:
            continue
        bps = b.get("bytes_per_second")
        ips = b.get("items_per_second")
        crypto_rows.append((label, "%.1f" % (bps / 1e6) if bps else "-", "%.0f" % ips if ips else "-",
                            "%.2f" % (bps / ossl) if (bps and ossl) else "-"))
    aes_vs_openssl = None
    if ossl and gb.get("BM_AesGcmSeal"):
        aes_vs_openssl = gb["BM_AesGcmSeal"]["bytes_per_second"] / ossl

    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    meta = [
        "date: %s, commit %s" % (when, commit()),
        "machine: %s" % machine(),
        "load: wrk -t%s -c%s -d%s --latency (after a warm-up run); coffer --threads %s, nginx worker_processes %s"
        % (args.wrk_threads, args.connections, args.duration, args.threads, args.threads),
        "nginx baseline: %.0f req/s before, %.0f req/s after the coffer runs (table uses the mean)"
        % (before["rps"], after["rps"]),
    ]

    # console
    widths = [max(len(str(r[i])) for r in [header] + cells) for i in range(len(header))]
    fmt = "  ".join(("{:<%d}" if i == 0 else "{:>%d}") % w for i, w in enumerate(widths))
    print()
    for line in meta:
        print(line)
    print()
    print(fmt.format(*header))
    for c in cells:
        print(fmt.format(*c))
    print()
    print(target_line + (" (" + "; ".join(why) + ")" if why else ""))
    if crypto_rows:
        ch = ("Crypto, one core", "MB/s", "msgs/s", "vs openssl speed")
        cw = [max(len(str(r[i])) for r in [ch] + crypto_rows) for i in range(4)]
        cf = "  ".join(("{:<%d}" if i == 0 else "{:>%d}") % w for i, w in enumerate(cw))
        print()
        print(cf.format(*ch))
        for r in crypto_rows:
            print(cf.format(*r))
        if aes_vs_openssl is not None:
            print()
            print("AesGcmSeal bytes/s vs openssl speed at 256 B: %.2f x; SealCiphertext: %.0f msgs/s"
                  % (aes_vs_openssl, gb["BM_SealCiphertext"]["items_per_second"] if gb.get("BM_SealCiphertext") else 0))

    # markdown
    md = ["# Coffer benchmark results", ""]
    md += ["- " + m for m in meta]
    md += ["", "| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    md += ["| " + " | ".join(c) + " |" for c in cells]
    md += ["", "**" + target_line + "**" + (" (" + "; ".join(why) + ")" if why else "")]
    if crypto_rows:
        md += ["", "| Crypto, one core | MB/s | msgs/s | vs openssl speed |", "|---|---:|---:|---:|"]
        md += ["| " + " | ".join(r) + " |" for r in crypto_rows]
        if aes_vs_openssl is not None:
            md += ["", "AesGcmSeal bytes/s vs `openssl speed -evp aes-256-gcm -bytes 256`: %.2f x" % aes_vs_openssl]
    with open(os.path.join(d, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    print("\nwrote " + os.path.join(d, "results.md"))
    return 0 if passed else 2


if __name__ == "__main__":
    sys.exit(main())
