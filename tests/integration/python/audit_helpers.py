"""Helpers shared by the audit, quota and metrics integration tests."""

import json
import subprocess
import urllib.request
from pathlib import Path

from botocore.config import Config

from conftest import COFFER_BIN, REGION, boto_session

# LookupEvents is limited to 2 requests/s like AWS; tests that page quickly raise it.
FAST_LOOKUP = {"quotas": {"defaults": {"cloudtrail:LookupEvents": 1000}}}


def write_config(tmp_path, doc, name="coffer-config.json"):
    path = Path(tmp_path) / name
    path.write_text(json.dumps(doc))
    return str(path)


def make_cloudtrail(server, creds=None, **config):
    creds = creds or server.creds
    cfg = Config(retries={"max_attempts": 1}, **config)
    return boto_session().client(
        "cloudtrail", region_name=REGION, endpoint_url=server.endpoint,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key, config=cfg)


def lookup_all(cloudtrail, **kwargs):
    """Every event LookupEvents returns, following NextToken."""
    events = []
    while True:
        page = cloudtrail.lookup_events(**kwargs)
        events += page["Events"]
        if "NextToken" not in page:
            return events
        kwargs["NextToken"] = page["NextToken"]


def cloudtrail_events(cloudtrail, **kwargs):
    return [json.loads(e["CloudTrailEvent"]) for e in lookup_all(cloudtrail, **kwargs)]


def audit_cli(*args, check=None):
    """Runs `coffer audit ARGS...`; returns (exit code, parsed JSON or text)."""
    out = subprocess.run([COFFER_BIN, "audit", *args], capture_output=True, text=True, timeout=60)
    try:
        body = json.loads(out.stdout)
    except json.JSONDecodeError:
        body = out.stdout + out.stderr
    if check is not None:
        assert out.returncode == check, f"coffer audit {args}: exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out.returncode, body


def get_metrics(server, path="/metrics"):
    with urllib.request.urlopen(server.endpoint + path, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def metric_value(text, name, **labels):
    """The value of the sample `name{labels...}` (labels matched as a subset), or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        found = {}
        for part in label_text.rstrip("}").split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                found[k] = v.strip('"')
        if all(found.get(k) == str(v) for k, v in labels.items()):
            return float(value)
    return None
