#!/usr/bin/env python3
"""64 KiB PUT throughput per S3 encryption mode, as ratios to SSE-S3 in the
same run, and KMS GenerateDataKey calls per 1,000 PUTs read from the audit
trail (LookupEvents). Each mode has its own bucket; W worker processes with
their own boto3 client PUT N objects each. SSE-S3 runs first and last and
the modes run in turn for --rounds rounds after an unmeasured warm-up round,
so drift of a loaded machine falls on every mode alike.

Usage: s3_sse.py --endpoint URL --credentials FILE [--workers 8] [--puts 250]
"""

import argparse
import configparser
import json
import multiprocessing
import os
import time
import uuid

import boto3
from botocore.config import Config

MODES = [
    ("SSE-S3", {"ServerSideEncryption": "AES256"}),
    ("SSE-KMS", {"ServerSideEncryption": "aws:kms"}),
    ("SSE-KMS+BucketKey", {"ServerSideEncryption": "aws:kms", "BucketKeyEnabled": True}),
    ("DSSE-KMS", {"ServerSideEncryption": "aws:kms:dsse"}),
]


def client(endpoint, creds, service="s3"):
    parser = configparser.ConfigParser()
    parser.read(creds)
    section = parser["default"]
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=section["aws_access_key_id"],
                        aws_secret_access_key=section["aws_secret_access_key"],
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def worker(args):
    endpoint, creds, bucket, extra, puts, index = args
    s3 = client(endpoint, creds)
    body = os.urandom(64 * 1024)
    s3.put_object(Bucket=bucket, Key=f"warm-{index}", Body=body, **extra)
    start = time.perf_counter()
    for i in range(puts):
        s3.put_object(Bucket=bucket, Key=f"w{index}-{i}", Body=body, **extra)
    return time.perf_counter() - start


def kms_calls(endpoint, creds, buckets):
    trail = client(endpoint, creds, "cloudtrail")
    counts = {b: 0 for b in buckets}
    kwargs = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GenerateDataKey"}]}
    while True:
        page = trail.lookup_events(**kwargs)
        for e in page["Events"]:
            event = json.loads(e["CloudTrailEvent"])
            arn = event["requestParameters"]["encryptionContext"].get("aws:s3:arn", "")
            bucket = arn[len("arn:aws:s3:::"):].split("/")[0]
            if bucket in counts:
                counts[bucket] += 1
        if "NextToken" not in page:
            return counts
        kwargs["NextToken"] = page["NextToken"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--credentials", required=True)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--puts", type=int, default=250, help="PUTs per worker and round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    s3 = client(args.endpoint, args.credentials)
    results = {name: {"mode": name, "buckets": [], "puts": 0, "seconds": 0.0} for name, _ in MODES}
    with multiprocessing.Pool(args.workers) as pool:
        for round_ in range(args.rounds + 1):
            for name, extra in MODES:
                bucket = "sse-bench-" + uuid.uuid4().hex[:12]
                s3.create_bucket(Bucket=bucket)
                jobs = [(args.endpoint, args.credentials, bucket, extra, args.puts, i) for i in range(args.workers)]
                elapsed = max(pool.map(worker, jobs))
                if round_ == 0:
                    continue  # warm-up
                r = results[name]
                r["buckets"].append(bucket)
                r["puts"] += args.workers * args.puts
                r["seconds"] += elapsed
    results = list(results.values())
    for r in results:
        r["puts_per_s"] = r["puts"] / r["seconds"]
    calls = kms_calls(args.endpoint, args.credentials, [b for r in results for b in r["buckets"]])
    baseline = results[0]["puts_per_s"]
    for r in results:
        r["ratio_to_sse_s3"] = r["puts_per_s"] / baseline
        # +1 per worker: the warm-up PUT of each worker.
        made = sum(calls[b] for b in r["buckets"])
        r["generate_data_key_per_1000_puts"] = 1000 * made / (r["puts"] + args.workers * len(r["buckets"]))
    print(json.dumps({"workers": args.workers, "object_bytes": 64 * 1024, "modes": results}, indent=1))
    for r in results:
        print(f"{r['mode']:<20} {r['puts_per_s']:8.0f} PUT/s  {r['ratio_to_sse_s3']:.2f} x SSE-S3  "
              f"{r['generate_data_key_per_1000_puts']:7.1f} GenerateDataKey / 1000 PUTs", flush=True)


if __name__ == "__main__":
    main()
