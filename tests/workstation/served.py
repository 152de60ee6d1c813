"""A station directory ready for `serve`, and a served station in a subprocess (the pages run
under the workstation's own settings, so never inside the test process, which pytest-django set
up with the server's).

    DIR/base.sqlite3, holding.json   the small base data set (tests.workstation.base_data)
    DIR/station-keys.json            the station's key store (a package key)
    DIR/operators.json               emergency credentials, signed with that key
    DIR/station.sqlite3              the journal, holding leases of every kind of number
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from django.contrib.auth.hashers import make_password

from lifeline.package.keys import KeyStore
from lifeline.workstation import operators, store
from lifeline.workstation.journal import InForce
from lifeline.workstation.station import Station
from tests.workstation.base_data import write_base
from tests.workstation.conftest import lease_all

PASSWORD = "应急-2026"
STAFF = [("0201", "赵收费", "cashier", False), ("0202", "钱收费", "cashier", False),
         ("0301", "孙药师", "pharmacist", False), ("0401", "周挂号", "registrar", False),
         ("0901", "吴主任", "cashier", True)]
BUILT_AT = datetime.now(UTC) - timedelta(minutes=7)


def station_dir(directory: Path, keys_file: Path | None = None, lease_base: int = 100_001) -> Path:
    """A station directory; stations sharing `keys_file` hold the same package key."""
    directory.mkdir(parents=True, exist_ok=True)
    keys = directory / "station-keys.json"
    if keys_file is None:
        KeyStore(file=keys).create(datetime.now(UTC))
    else:
        keys.write_bytes(keys_file.read_bytes())
        keys.chmod(0o600)
    key = store.data_key(keys)
    write_base(directory, key)
    (directory / "holding.json").write_text(json.dumps({
        "applied": "full-test-0001", "built_at": BUILT_AT.isoformat(), "price_version": "price_item:abc/drug:def"}))
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    hashed = make_password(PASSWORD, hasher="argon2")
    operators.write(directory / operators.FILE, [
        {"code": code, "name": name, "role": role, "password": hashed, "valid_until": until, "supervisor": boss}
        for code, name, role, boss in STAFF], KeyStore(file=keys).current(), datetime.now(UTC))
    station = Station.open(directory, key, InForce(directory.name, "full-test-0001", "price_item:abc/drug:def"),
                           lambda: datetime.now(UTC))
    lease_all(station, base=lease_base, size=1000)
    station.close()
    return directory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`python -m lifeline.workstation.serve --dir DIR` on a free port, stopped by `stop`."""

    def __init__(self, directory: Path, code: str, *extra: str, env: dict | None = None):
        self.log = tempfile.TemporaryFile()  # not a pipe: nobody reads it while the pages run
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lifeline.workstation.serve", "--dir", str(directory), "--bind",
             f"127.0.0.1:{self.port}", "--station", code, "--workers", "1", *extra],
            env={**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, **(env or {})},
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/help/", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):
                if self.process.poll() is not None:
                    raise RuntimeError(self.output()) from None
                time.sleep(0.1)
        raise RuntimeError("the station did not start")

    def output(self) -> str:
        """What the process printed (its access log, pull messages)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Browser:
    """A requests session at a served station: `get`, and `post` with the CSRF token."""

    def __init__(self, served: Served):
        self.url, self.session = served.url, requests.Session()

    def get(self, path, **params):
        return self.session.get(self.url + path, params=params, timeout=30)

    def post(self, path, data, follow=True):
        if not any(name.startswith("wscsrf_") for name in self.session.cookies.keys()):
            self.get("/login/")
        token = next(v for k, v in self.session.cookies.items() if k.startswith("wscsrf_"))
        return self.session.post(self.url + path, data={"csrfmiddlewaretoken": token, **data}, timeout=30,
                                 allow_redirects=follow)

    def sign_in(self, code, password=PASSWORD):
        return self.post("/login/", {"code": code, "password": password})


def journal_count(directory: Path) -> int:
    db = store.connect(directory / "station.sqlite3", store.data_key(directory / "station-keys.json"))
    try:
        return db.execute("SELECT count(*) FROM journal").fetchone()[0]
    finally:
        db.close()
