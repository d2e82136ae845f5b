#!/usr/bin/python3
"""Prints bench/asym.sh's table: Sign/Verify requests per second over HTTP as
a ratio of `openssl speed` for the same primitive, and writes it to
OUT_DIR/asym-results.md."""
import argparse
import os
import re
import sys

# Targets from issue 5: RSA-2048 Sign >= 0.7x openssl, ECDSA P-256 Sign >= 0.5x.
TARGETS = {("Sign", "rsa2048"): 0.7, ("Sign", "p256"): 0.5}


def wrk_rps(path):
    text = open(path, encoding="utf-8").read()
    if "Non-2xx or 3xx responses" in text or "Socket errors" in text:
        raise SystemExit("errors in " + path + ":\n" + text)
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not rps:
        raise SystemExit("cannot parse " + path)
    return float(rps.group(1)), p99.group(1) if p99 else "?"


def openssl_rates(path):
    """{(label): (sign/s, verify/s)} from `openssl speed rsa2048 ecdsap256`."""
    text = open(path, encoding="utf-8").read()
    rates = {}
    rsa = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)", text, re.M)
    ecdsa = re.search(r"^\s*256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)", text, re.M)
    if not (rsa and ecdsa):
        raise SystemExit("cannot parse openssl speed output:\n" + text)
    rates["rsa2048"] = (float(rsa.group(1)), float(rsa.group(2)))
    rates["p256"] = (float(ecdsa.group(1)), float(ecdsa.group(2)))
    return rates


def config_name(config, cores):
    threads, durability = config.split(":")
    shown = "%s (one per core)" % cores if threads == "0" else threads
    return "threads %s, audit %s" % (shown, durability)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--configs", required=True, help='e.g. "0:strict 1:batched" (threads:durability)')
    ap.add_argument("--connections", required=True)
    ap.add_argument("--cores", required=True)
    args = ap.parse_args()
    rates = openssl_rates(os.path.join(args.out_dir, "asym-openssl-speed.txt"))
    rows = ["| coffer configuration | operation | key | coffer req/s | p99 | openssl speed op/s | ratio | target |",
            "|---|---|---|---|---|---|---|---|"]
    for config in args.configs.split():
        threads, durability = config.split(":")
        cfg = "t%s-%s" % (threads, durability)
        for label, name in (("rsa2048", "RSA_2048 (PSS-SHA-256)"), ("p256", "ECC_NIST_P256")):
            for i, op in enumerate(("Sign", "Verify")):
                rps, p99 = wrk_rps(os.path.join(args.out_dir, "asym-%s-%s-%s.wrk.txt" % (cfg, op, label)))
                base = rates[label][i]
                ratio = rps / base
                target = TARGETS.get((op, label))
                mark = "" if target is None else (">= %.1f %s" % (target, "ok" if ratio >= target else "MISSED"))
                rows.append("| %s | %s | %s | %.0f | %s | %.0f | %.2f | %s |" % (
                    config_name(config, args.cores), op, name, rps, p99, base, ratio, mark))
    header = ("%s connections from one wrk thread on the same %s cores; openssl speed: one process "
              "(one core)" % (args.connections, args.cores))
    text = header + "\n\n" + "\n".join(rows) + "\n"
    print(text)
    with open(os.path.join(args.out_dir, "asym-results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return 0  # figures are reported, not enforced: the machine is shared and noisy


if __name__ == "__main__":
    sys.exit(main())
