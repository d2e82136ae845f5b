#!/usr/bin/python3
"""Strips the botocore KMS service model down to what request validation needs.

Reads the botocore model (operations, shapes, constraints) and the Smithy KMS
model (HTTP status codes of error shapes) and writes
third_party/aws-models/kms-2014-11-01.json: the botocore model without any
documentation or examples, plus a top-level "errorHttpStatus" object mapping
each error shape name to the status from its smithy.api#httpError trait.

Usage: /usr/bin/python3 scripts/strip_model.py [--oracles DIR] [--out FILE]
"""

import argparse
import json
import os
import sys

DROPPED_KEYS = frozenset({"documentation", "documentationUrl", "examples"})
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def strip(node):
    """Returns node without documentation/examples keys, recursively."""
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROPPED_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def error_http_status(smithy):
    """Maps error shape name (without namespace) to its httpError status."""
    out = {}
    for shape_id, shape in smithy["shapes"].items():
        status = shape.get("traits", {}).get("smithy.api#httpError")
        if status is not None:
            out[shape_id.split("#", 1)[1]] = int(status)
    return dict(sorted(out.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracles", default=os.path.join(REPO_ROOT, "..", "shared", "oracles", "kms-api"))
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "third_party", "aws-models", "kms-2014-11-01.json"))
    args = parser.parse_args()

    with open(os.path.join(args.oracles, "botocore", "kms", "2014-11-01", "service-2.json")) as f:
        botocore = json.load(f)
    with open(os.path.join(args.oracles, "smithy-kms", "model.json")) as f:
        smithy = json.load(f)

    model = strip(botocore)
    statuses = error_http_status(smithy)
    model["errorHttpStatus"] = statuses

    # Every error shape the botocore model declares must have a status, or the
    # server would have to guess one.
    errors = sorted(n for n, s in model["shapes"].items() if s.get("exception"))
    missing = [n for n in errors if n not in statuses]
    if missing:
        print("error shapes without smithy.api#httpError: " + ", ".join(missing), file=sys.stderr)
        return 1

    with open(args.out, "w") as f:
        json.dump(model, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out}: {len(model['operations'])} operations, {len(model['shapes'])} shapes, "
          f"{len(statuses)} error statuses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
