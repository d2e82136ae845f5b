#!/usr/bin/python3
"""Prints bench/s3.sh's tables (S3 GET vs nginx static files, PUT vs write +
fsync and AES-256-GCM, server RSS around a large object) and writes them as
markdown to OUT_DIR/s3-results.md. MB = 10^6 bytes."""
import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import commit, machine, parse_openssl, parse_wrk  # noqa: E402

OBJECTS = (("64k", "64 KiB", 64 * 1024), ("8m", "8 MiB", 8 * 1024 * 1024))
GET_TARGET = {"64k": 0.4, "8m": 0.6}
PUT_TARGET = {"8m": 0.5}
RSS_TARGET_MB = 128


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 2) + ["---"]) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--duration", default="5s")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--wrk-threads", default="1")
    ap.add_argument("--get-connections", default="8 32")
    ap.add_argument("--put-connections", default="8")
    args = ap.parse_args()
    d = args.out_dir
    path = lambda name: os.path.join(d, name)  # noqa: E731
    verdicts = []

    get_rows = []
    for obj, name, size in OBJECTS:
        for c in args.get_connections.split():
            base = "s3-get-%s-c%s" % (obj, c)
            before = parse_wrk(path(base + "-nginx-before.wrk.txt"))
            after = parse_wrk(path(base + "-nginx-after.wrk.txt"))
            coffer = parse_wrk(path(base + ".wrk.txt"))
            nginx = (before["rps"] + after["rps"]) / 2
            ratio = coffer["rps"] / nginx
            target = GET_TARGET[obj]
            ok = ratio >= target
            verdicts.append(("GET %s, %s conns" % (name, c), ratio, target, ok))
            get_rows.append((name, c, "%.0f / %.0f" % (before["rps"], after["rps"]), "%.0f" % nginx,
                             "%.0f" % (nginx * size / 1e6), "%.2f / %.2f" % (before["p99"], after["p99"]),
                             "%.0f" % coffer["rps"], "%.0f" % (coffer["rps"] * size / 1e6),
                             "%.2f" % coffer["p50"], "%.2f" % coffer["p99"], "**%.2f**" % ratio,
                             ">= %.1f %s" % (target, "ok" if ok else "MISSED")))

    aes = parse_openssl(path("s3-openssl-speed.txt"))
    put_rows = []
    c = args.put_connections
    for obj, name, size in OBJECTS:
        coffer = parse_wrk(path("s3-put-%s-c%s.wrk.txt" % (obj, c)))
        disk = {}
        for w in sorted({"1", c}, key=int):
            with open(path("s3-disk-%s-w%s.json" % (obj, w)), encoding="utf-8") as f:
                disk[w] = json.load(f)
        best = max(disk.values(), key=lambda x: x["mb_per_s"])
        mbps = coffer["rps"] * size / 1e6
        ratio = mbps / best["mb_per_s"]
        target = PUT_TARGET.get(obj)
        ok = target is None or ratio >= target
        if target is not None:
            verdicts.append(("PUT %s, %s conns" % (name, c), ratio, target, ok))
        put_rows.append((name, c, "%.0f" % coffer["rps"], "%.0f" % mbps, "%.1f" % coffer["p50"], "%.1f" % coffer["p99"],
                         " / ".join("%.0f (%.0f/s)" % (disk[w]["mb_per_s"], disk[w]["ops_per_s"]) for w in sorted(disk, key=int)),
                         "**%.2f**" % ratio,
                         "%.3f" % (mbps / (aes / 1e6)) if aes else "-",
                         (">= %.1f %s" % (target, "ok" if ok else "MISSED")) if target else "-"))

    rss_lines = []
    rss_path = path("s3-rss.json")
    if os.path.exists(rss_path):
        with open(rss_path, encoding="utf-8") as f:
            rss = json.load(f)
        mb = lambda b: "%.1f" % (b / 1e6)  # noqa: E731
        rows = [("idle (after CreateBucket)", "-", "-", mb(rss["idle"]["VmRSS"]), mb(rss["idle"]["VmHWM"]))]
        for phase in ("upload", "download"):
            p = rss[phase]
            rows.append(("%s, one connection" % phase, "%.1f" % p["seconds"], "%.0f" % p["mb_per_s"],
                         "%s (%d samples)" % (mb(p["max_rss"]), p["samples"]), mb(p["after"]["VmHWM"])))
        peak = max(rss["download"]["after"]["VmHWM"], rss["upload"]["after"]["VmHWM"])
        ok = peak < RSS_TARGET_MB * 1e6
        verdicts.append(("RSS peak (VmHWM) around a %d MiB object, MB" % (rss["size"] >> 20), peak / 1e6,
                         RSS_TARGET_MB, ok))
        rss_lines = ["", "Server memory around one %d MiB object (fresh server; SHA-256 of the download checked):" %
                     (rss["size"] >> 20), ""]
        rss_lines += table(("phase", "seconds", "MB/s", "max VmRSS sampled (MB)", "VmHWM after (MB)"), rows)

    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    meta = [
        "date: %s, commit %s" % (when, commit()),
        "machine: %s" % machine(),
        "load: wrk -t%s -d%s --latency (after a warm-up run); coffer --threads %s --quotas false, nginx "
        "worker_processes %s (static files, sendfile on)" % (args.wrk_threads, args.duration, args.threads, args.threads),
    ]
    md = ["- " + m for m in meta]
    md += ["", "GET (presigned URL replayed) vs nginx serving the same file; nginx measured before and after coffer:", ""]
    md += table(("object", "conns", "nginx req/s before / after", "nginx req/s mean", "nginx MB/s",
                 "nginx p99 before / after (ms)", "coffer req/s", "coffer MB/s", "coffer p50 (ms)", "coffer p99 (ms)",
                 "coffer/nginx", "target"), get_rows)
    md += ["", "PUT (presigned, UNSIGNED-PAYLOAD, replayed) vs write + fsync of the same size (1 / %s writers; the "
           "ratio uses the faster) and AES-256-GCM on one core (openssl speed, 64 KiB: %s MB/s):" %
           (c, "%.0f" % (aes / 1e6) if aes else "?"), ""]
    md += table(("object", "conns", "coffer req/s", "coffer MB/s", "p50 (ms)", "p99 (ms)",
                 "write+fsync MB/s (ops/s), 1 / %s writers" % c, "coffer/disk", "coffer/AES-GCM", "target"), put_rows)
    md += rss_lines
    md += [""]
    for label, value, target, ok in verdicts:
        if label.startswith("RSS"):
            md.append("- %s: %.1f < %d: %s" % (label, value, target, "ok" if ok else "MISSED"))
        else:
            md.append("- %s: %.2f x >= %.1f x: %s" % (label, value, target, "ok" if ok else "MISSED"))
    text = "\n".join(md) + "\n"
    print(text)
    with open(path("s3-results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return 0  # figures are reported, not enforced: the machine is shared and noisy


if __name__ == "__main__":
    sys.exit(main())
