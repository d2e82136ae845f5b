"""A throwaway PostgreSQL server for the cluster tests (Debian's postgresql
package): initdb'd in a temp dir, listening on a free loopback port (its Unix
socket in the same dir), trust authentication for the user "coffer".

Missing server binaries are an error, not a skip: scripts/install-deps.sh test
installs postgresql.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin_dir():
    found = []
    if PG_ROOT.is_dir():
        for entry in PG_ROOT.iterdir():
            bin_dir = entry / "bin"
            if (bin_dir / "pg_ctl").exists() and (bin_dir / "initdb").exists():
                try:
                    found.append((int(entry.name), bin_dir))
                except ValueError:
                    continue
    if not found:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found under "
                           "/usr/lib/postgresql/*/bin: run scripts/install-deps.sh test")
    return max(found)[1]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    # Its own temp dir under /tmp: pytest's are 0700 root, which the postgres
    # user cannot enter.
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="coffer-pg-"))
        self.bin = pg_bin_dir()
        self.port = None
        self._databases = 0

    def _run(self, *args, check=True):
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and out.returncode != 0:
            raise RuntimeError(f"{cmd} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return out

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        if not (self.root / "data").exists():
            self._run(self.bin / "initdb", "-D", self.root / "data", "-U", "coffer", "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync")
        self.port = self.port or free_port()
        opts = f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(self.bin / "pg_ctl", "-D", self.root / "data", "-l", self.root / "server.log",
                  "-w", "-t", "60", "-o", opts, "start")
        return self

    def stop(self, mode="fast"):
        self._run(self.bin / "pg_ctl", "-D", self.root / "data", "-w", "-t", "60", "-m", mode, "stop",
                  check=False)

    def destroy(self):
        self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def psql(self, database, sql):
        """Runs `sql` as the superuser; returns the unaligned, tuples-only output."""
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "coffer", "-d", database,
                              "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed:\n{out.stderr}")
        return out.stdout.strip()

    def new_database(self, prefix="coffer"):
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def url(self, database):
        return f"postgresql://coffer@127.0.0.1:{self.port}/{database}"

    def base_url(self):
        return f"postgresql://coffer@127.0.0.1:{self.port}"


class Haproxy:
    """Debian's haproxy on a free loopback port, round robin over `backends`
    (ports), each checked with GET /healthz every 200 ms."""

    def __init__(self, root, backends):
        self.port = free_port()
        self.config = root / "haproxy.cfg"
        servers = "\n".join(
            f"    server n{i} 127.0.0.1:{port} check inter 200ms fall 1 rise 2"
            for i, port in enumerate(backends))
        self.config.write_text(f"""
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout
frontend coffer
    bind 127.0.0.1:{self.port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz
{servers}
""")
        subprocess.run(["haproxy", "-c", "-f", str(self.config)], check=True, capture_output=True)
        self.log = open(root / "haproxy.log", "wb")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(self.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def healthz(endpoint):
    """(HTTP status, parsed JSON body) of GET /healthz at `endpoint`, or
    (None, None) when it does not answer."""
    import http.client
    import json
    import urllib.parse
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    except (OSError, ValueError):
        return None, None
    finally:
        conn.close()


def answers_healthz(endpoint):
    """Whether GET /healthz at `endpoint` answers 200 now."""
    import urllib.request
    try:
        with urllib.request.urlopen(endpoint + "/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False
