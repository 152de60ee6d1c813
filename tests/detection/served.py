"""A real Lifeline server (`lifeline serve`, gunicorn) on its own database, for the kill -9 test and
bench/alerts.py: create and migrate the database, start, wait for /healthz, kill -9, post alerts.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

LIFELINE = str(Path(sys.executable).with_name("lifeline"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(pg_url: str | None, name: str, data_dir: Path) -> str:
    """A new empty database: `name` on the PostgreSQL server of pg_url, else a SQLite file in data_dir."""
    if not pg_url:
        return f"sqlite:///{data_dir / (name + '.sqlite3')}"
    import psycopg

    parts = urlsplit(pg_url)
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                         password=parts.password, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def environment(database_url: str, data_dir: Path, port: int) -> dict:
    return {**os.environ, "LIFELINE_DATABASE_URL": database_url, "LIFELINE_DATA_DIR": str(data_dir),
            "LIFELINE_BASE_URL": f"http://127.0.0.1:{port}"}


def lifeline(env: dict, *args) -> str:
    """Run a `lifeline` command; its output."""
    return subprocess.run([LIFELINE, *args], env=env, check=True, capture_output=True, text=True).stdout


class Server:
    """`lifeline serve` in its own process group, so kill -9 reaches the master and every worker."""

    def __init__(self, env: dict, port: int, log: Path, workers: int = 3):
        self.env, self.port, self.log, self.workers = env, port, log, workers
        self.process = None

    def start(self, timeout=60):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [LIFELINE, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while request(self.port, "GET", "/healthz")[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"lifeline serve did not start; see {self.log}")
            time.sleep(0.2)
        return self

    def kill9(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request on a new connection; (0, b"") when the server cannot be reached."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        conn.close()


def alertmanager_payload(fingerprints: list[str], group: str = "outage", status: str = "firing") -> bytes:
    """An Alertmanager v4 webhook body with one alert per fingerprint."""
    return json.dumps({
        "version": "4", "groupKey": group, "status": status, "receiver": "lifeline", "truncatedAlerts": 0,
        "groupLabels": {"alertname": "HISDown"}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": status, "labels": {"alertname": "HISDown", "instance": fp},
                    "annotations": {"summary": "HIS 无响应"}, "startsAt": "2026-11-22T01:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph",
                    "fingerprint": fp} for fp in fingerprints],
    }).encode()
