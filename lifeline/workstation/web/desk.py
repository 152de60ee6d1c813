"""The station behind the pages: one `Station` per server process, opened on first use and
reopened when a newer package is applied (`station pull` replaces base.sqlite3 and
holding.json); the mode followed from the journal on every request, since another process (or a
declaration heard from the server) may have changed it.

The package in force is DIR/holding.json's `applied`; its build time and price version come
from holding.json when the puller wrote them there, else from the package's manifest in
DIR/packages/ (read without the key: only the form is needed, the chain verified when applied).
"""
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from lifeline.core import clock
from lifeline.package.container import open_package
from lifeline.package.keys import KeyStore
from lifeline.package.tables import PackageInvalid
from lifeline.workstation import modes, operators, store
from lifeline.workstation.journal import READY, InForce, price_version
from lifeline.workstation.station import BASE, Station


class NoPackage(Exception):
    """The station holds no base data yet, or none this station's key opens (a chain applied but
    not sealed with it, another station's files): run `station pull` while the server is reachable."""


@dataclass(frozen=True)
class Holding:
    package_id: str
    built_at: datetime | None
    price_version: str


def holding(directory: Path) -> Holding:
    path = directory / "holding.json"
    if not (directory / BASE).exists() or not path.exists():
        raise NoPackage(str(directory))
    data = json.loads(path.read_text(encoding="utf-8"))
    applied = data["applied"]
    built, prices = data.get("built_at"), data.get("price_version")
    if not (built and prices):
        manifest = _manifest(directory, applied)
        built, prices = manifest.get("built_at"), price_version(manifest) if manifest else ""
    return Holding(applied, datetime.fromisoformat(built) if built else None, prices or "")


def _manifest(directory: Path, package_id: str) -> dict:
    for path in (directory / "packages").glob(f"{package_id}.*"):
        try:
            return open_package(path).manifest
        except PackageInvalid:
            continue
    return {}


def now() -> datetime:
    """The station's clock: Lifeline's one clock (a test may shift a served station's with
    LIFELINE_CLOCK_OFFSET_SECONDS)."""
    return clock.now()


class Desk:
    """The process's station: `desk.station()` for each request."""

    def __init__(self, directory, keys_file, station_code: str):
        self.directory, self.keys_file, self.code = Path(directory), Path(keys_file), station_code
        self.lock = threading.Lock()
        self._station: Station | None = None
        self._held: Holding | None = None
        self._credentials: tuple[float, dict] | None = None

    def station(self) -> Station:
        with self.lock:
            held = holding(self.directory)
            if self._station is None or held != self._held:
                if self._station is not None:
                    self._station.close()
                in_force = InForce(self.code, held.package_id, held.price_version, READY)
                try:
                    self._station = Station.open(self.directory, store.data_key(self.keys_file), in_force, now,
                                                 as_of=held.built_at)
                except (store.Error, store.WrongKey) as unreadable:
                    self._station = None
                    raise NoPackage(f"{self.directory}: {unreadable}") from None
                self._held = held
            modes.follow(self._station)
            return self._station

    @property
    def held(self) -> Holding:
        return self._held

    def keystore(self) -> KeyStore:
        """The station's key store: decrypts packages, verifies operators and receipt codes."""
        return KeyStore(file=self.keys_file)

    def credentials(self) -> dict[str, operators.Credential]:
        """The emergency credentials, read again when the file changes."""
        path = self.directory / operators.FILE
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return {}
        if self._credentials is None or self._credentials[0] != mtime:
            self._credentials = (mtime, operators.load(path, self.keystore()))
        return self._credentials[1]


_desk: Desk | None = None


def desk() -> Desk:
    global _desk
    if _desk is None:
        _desk = Desk(settings.STATION_DIR, settings.STATION_KEYS, settings.STATION_CODE)
    return _desk
