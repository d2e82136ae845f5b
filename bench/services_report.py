#!/usr/bin/python3
"""Prints bench/services.sh's table: GetSecretValue and GetParameter requests
per second as a ratio of an nginx static response of the same size (the mean
of nginx measured just before and just after each coffer run), and writes it
as markdown to OUT_DIR/services-results.md."""
import argparse
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import commit, machine, parse_wrk  # noqa: E402

TARGET_RATIO = 0.4
CASES = (
    ("GetSecretValue", "GetSecretValue (100-byte SecretString)"),
    ("GetParameter-String", "GetParameter, String"),
    ("GetParameter-SecureString", "GetParameter, SecureString, WithDecryption=true"),
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--connections", default="32")
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--wrk-threads", default="1")
    ap.add_argument("--serve-args", default="")
    args = ap.parse_args()
    d = args.out_dir
    sizes = {}
    for line in open(os.path.join(d, "services-responses.tsv"), encoding="utf-8"):
        label, size = line.rstrip("\n").split("\t")
        sizes[label] = size

    header = ("Operation", "response bytes", "nginx before", "nginx after", "nginx mean", "coffer req/s",
              "p50 (ms)", "p99 (ms)", "coffer/nginx", "target")
    rows = []
    missed = []
    for label, name in CASES:
        before = parse_wrk(os.path.join(d, "services-%s-nginx-before.wrk.txt" % label))
        after = parse_wrk(os.path.join(d, "services-%s-nginx-after.wrk.txt" % label))
        coffer = parse_wrk(os.path.join(d, "services-%s.wrk.txt" % label))
        nginx = (before["rps"] + after["rps"]) / 2
        ratio = coffer["rps"] / nginx
        ok = ratio >= TARGET_RATIO
        if not ok:
            missed.append("%s %.2f" % (label, ratio))
        rows.append((name, sizes.get(label, "?"), "%.0f" % before["rps"], "%.0f" % after["rps"], "%.0f" % nginx,
                     "%.0f" % coffer["rps"], "%.2f" % coffer["p50"], "%.2f" % coffer["p99"], "%.2f" % ratio,
                     ">= %.1f %s" % (TARGET_RATIO, "ok" if ok else "MISSED")))

    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    meta = [
        "date: %s, commit %s" % (when, commit()),
        "machine: %s" % machine(),
        "load: wrk -t%s -c%s -d%s --latency (after a warm-up run); coffer --threads %s --quotas false%s, "
        "nginx worker_processes %s" % (args.wrk_threads, args.connections, args.duration, args.threads,
                                       " " + args.serve_args if args.serve_args else "", args.threads),
    ]
    verdict = "all >= %.1f x nginx: %s" % (TARGET_RATIO, "PASS" if not missed else "FAIL (" + ", ".join(missed) + ")")

    md = ["- " + m for m in meta]
    md += ["", "| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 2) + ["---"]) + "|"]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += ["", verdict]
    text = "\n".join(md) + "\n"
    print(text)
    with open(os.path.join(d, "services-results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return 0  # figures are reported, not enforced: the machine is shared and noisy


if __name__ == "__main__":
    sys.exit(main())
