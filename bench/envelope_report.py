#!/usr/bin/python3
"""Table for bench/envelope.sh: MB/s of each tool and operation, the ratio of
coffer's to `openssl speed -evp aes-256-gcm -bytes 16384` (same run) and to
the node SDK, peak RSS. Writes markdown to --out."""
import argparse
import csv
import re

TARGET_OPENSSL = 0.8
TARGET_NODE = 3.0
TARGET_RSS_MB = 64


def openssl_rate(path):
    """Bytes/s of the 16384-byte column (figures are in 1000s of bytes/s)."""
    rate = None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^(aes-256-gcm|AES-256-GCM)\s+([0-9.]+)k\s*$", line.strip(), re.I)
        if m:
            rate = float(m.group(2)) * 1000.0
    if rate is None:
        raise SystemExit("no aes-256-gcm line in " + path)
    return rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--openssl", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    base = openssl_rate(args.openssl)
    rows = list(csv.DictReader(open(args.results, encoding="utf-8"), delimiter="\t"))
    user, cpu, wall = {}, {}, {}
    for r in rows:
        key, n = (r["tool"], r["op"]), int(r["bytes"])
        user[key] = n / max(float(r["user_seconds"]), 1e-3)
        cpu[key] = n / max(float(r["user_seconds"]) + float(r["sys_seconds"]), 1e-3)
        wall[key] = n / max(float(r["seconds"]), 1e-3)
    lines = [
        "| tool | op | MB/s per user CPU-s | × openssl speed (16 KB, %.0f MB/s) | MB/s per CPU-s (user+sys) | MB/s wall"
        " | × node SDK (user+sys) | peak RSS (MB) |" % (base / 1e6),
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        key = (r["tool"], r["op"])
        node = cpu.get(("node-" + r["tool"].split("-", 1)[1], r["op"])) if r["tool"].startswith("coffer-") else None
        vs_node = "%.1f" % (cpu[key] / node) if node else ""
        lines.append("| %s | %s | %.0f | %.2f | %.0f | %.0f | %s | %.1f |" % (
            r["tool"], r["op"], user[key] / 1e6, user[key] / base, cpu[key] / 1e6, wall[key] / 1e6, vs_node,
            int(r["max_rss_kb"]) / 1024))
    gb = int(rows[0]["bytes"]) / 2**30 if rows else 0
    lines.append("")
    lines.append("Input %.2f GiB on tmpfs, output /dev/null; one process per run, start-up included. The openssl"
                 " ratio compares user CPU time with user CPU time (what `openssl speed` reports); user+sys adds"
                 " the kernel's file and pipe copies. CPU time keeps a busy shared machine from skewing ratios;"
                 " wall MB/s is shown too." % gb)
    lines.append("Targets: coffer 0x0478 >= %.1f x openssl speed, >= %.1f x node SDK, peak RSS < %d MB."
                 % (TARGET_OPENSSL, TARGET_NODE, TARGET_RSS_MB))
    text = "\n".join(lines)
    print(text)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
