"""The published packages: the snapshot directory and its `latest.json`.

    <snapshot dir>/<package id>.llsnap      packages (encrypted and signed)
    <snapshot dir>/latest.json              the chains kept, newest first, each a full package
                                            and its incrementals in order, and the key index
    <snapshot dir>/index/<package id>.llsnap  the key index of the newest package
    <snapshot dir>/.work/                   private plaintext directories of running builds
    <snapshot dir>/.lock                    held by the one build running

A package is published by renaming its fully written, synced file into place and then
replacing latest.json (written beside it, synced, renamed): a reader sees the old chain or
the new one, never a part. Files no chain names are leftovers of an interrupted build and
are removed by the next one.
"""
import fcntl
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from lifeline.package.container import SUFFIX

# Any fixed 64-bit number: the PostgreSQL advisory lock held by the one snapshot build running.
BUILD_LOCK = 0x4C4C_534E_4150_0001  # "LLSNAP"


class BuildBusy(Exception):
    pass


@dataclass(frozen=True)
class Published:
    package_id: str
    file: str
    kind: str
    sha256: str
    size: int
    built_at: str
    parent_id: str | None = None

    @property
    def path(self) -> Path:
        return directory() / self.file


def directory() -> Path:
    path = Path(settings.SNAPSHOT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _latest() -> dict:
    path = directory() / "latest.json"
    if not path.exists():
        return {"chains": [], "index": None}
    return json.loads(path.read_text(encoding="utf-8"))


def chains() -> list[list[Published]]:
    """The chains kept, newest first; each a full package and its incrementals in order."""
    return [[Published(**item) for item in chain] for chain in _latest()["chains"]]


def latest_chain() -> list[Published]:
    """The newest full package and its incrementals in order: what a station needs to be current."""
    found = chains()
    return found[0] if found else []


def index_file() -> Path | None:
    name = _latest().get("index")
    return directory() / name if name else None


def temp_path(name: str) -> Path:
    """A new file's temporary name in the snapshot directory (same file system: rename is atomic)."""
    return directory() / f".{name}.{secrets.token_hex(4)}.tmp"


def put(temp: Path, name: str) -> Path:
    """Move a written, synced file into its place."""
    final = directory() / name
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, final)
    _sync_dir(final.parent)
    return final


def publish(package: Published, index: str, keep: int) -> list[Published]:
    """Make `package` the newest of the latest chain (or start a chain when it is full) in one
    atomic step; returns the packages of the chains no longer kept (their files are removed)."""
    kept = chains()
    if package.kind == "full":
        kept.insert(0, [package])
    else:
        kept[0].append(package)
    old_index = index_file()
    dropped = [p for chain in kept[keep:] for p in chain]
    _write_latest({"chains": [[asdict(p) for p in chain] for chain in kept[:keep]], "index": index})
    if old_index and old_index.name != Path(index).name:
        old_index.unlink(missing_ok=True)
    for gone in dropped:
        gone.path.unlink(missing_ok=True)
    return dropped


def _write_latest(data: dict):
    temp = temp_path("latest.json")
    with open(temp, "x", encoding="utf-8") as out:
        json.dump(data, out, indent=1)
        out.flush()
        os.fsync(out.fileno())
    put(temp, "latest.json")


def _sync_dir(path: Path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep() -> list[Path]:
    """Remove temporary files and packages no chain names (left by an interrupted build).
    Only while holding the build lock."""
    named = {p.file for chain in chains() for p in chain}
    index = index_file()
    removed = []
    for path in [*directory().glob(".*.tmp"), *directory().glob(f"*{SUFFIX}"),
                 *(directory() / "index").glob(f"*{SUFFIX}"), *(directory() / "index").glob(".*.tmp")]:
        if path.name.endswith(".tmp") or (path.parent == directory() and path.name not in named) \
                or (path.parent != directory() and path != index):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def build_lock():
    """Held by the one build running: a lock on the directory's `.lock` file (released by the
    kernel when the process dies) and, when Lifeline's database is PostgreSQL, an advisory lock
    there too, so workers on several hosts never build at once."""
    with open(directory() / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildBusy(f"another snapshot build is running (it holds {lock.name})") from None
        with _database_lock():
            yield


@contextmanager
def _database_lock():
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [BUILD_LOCK])
        if not cursor.fetchone()[0]:
            raise BuildBusy("another snapshot build is running (on another host: it holds the database lock)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [BUILD_LOCK])
