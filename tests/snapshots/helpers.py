"""Helpers for the snapshot tests: a private snapshot directory and key store, and the rows
of the HIS and of an applied chain in the form a package stores them."""
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lifeline.his import reader
from lifeline.package import applying
from lifeline.package.tables import TABLES
from lifeline.snapshots import builder, storage
from lifeline.workstation import store

LIFELINE = str(Path(sys.executable).with_name("lifeline"))


@pytest.fixture
def snapshot_dir(tmp_path, settings):
    """Packages under tmp_path/snapshots, keys in tmp_path/keys (one key made)."""
    settings.DATA_DIR = tmp_path
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.SNAPSHOT_KEY_FILE = None
    settings.SNAPSHOT_KEEP = 3
    storage.keystore().create()
    return settings.SNAPSHOT_DIR


def source_rows(mapping) -> dict[str, set]:
    """Every canonical row of the HIS now, per entity, as stored in a package."""
    found = {}
    with reader.HisSource(mapping).snapshot() as snap:
        for name, table in TABLES.items():
            found[name] = {row for batch in snap.read(name).batches() for row in table.stored(batch)}
    return found


def database_rows(path, key: bytes | None = None) -> dict[str, set]:
    """The rows of an applied chain; `key`: a station's base data, encrypted at rest."""
    db = store.connect(path, key, durable=False) if key else sqlite3.connect(path)
    try:
        return {name: set(db.execute(table.select_sql())) for name, table in TABLES.items()}
    finally:
        db.close()


def applied_rows(tmp_path, chain=None) -> dict[str, set]:
    """The rows a station holds after applying the latest chain (or `chain`)."""
    dest = tmp_path / f"station-{len(list(tmp_path.glob('station-*')))}.sqlite3"
    paths = [p.path if hasattr(p, "path") else p for p in (chain or builder.latest_chain())]
    applying.apply(paths, dest, storage.keystore())
    return database_rows(dest)


def assert_same_rows(found: dict, expected: dict):
    for name in TABLES:
        missing, extra = expected[name] - found[name], found[name] - expected[name]
        assert not missing and not extra, f"{name}: {len(missing)} rows missing (e.g. {sorted(missing)[:2]}), " \
                                          f"{len(extra)} rows not in the HIS (e.g. {sorted(extra)[:2]})"


@pytest.fixture(scope="session")
def migrated_home(tmp_path_factory):
    """A Lifeline data directory with a migrated SQLite database, made once for `lifeline`
    subprocesses (they cannot use the test database)."""
    home = tmp_path_factory.mktemp("lifeline-home")
    subprocess.run([LIFELINE, "migrate", "-v0"], env=cli_env(home), check=True, timeout=300)
    return home


@pytest.fixture
def cli_home(migrated_home, tmp_path, settings):
    """A copy of the migrated home with one key; this process's settings point at it too."""
    home = tmp_path / "home"
    shutil.copytree(migrated_home, home)
    settings.DATA_DIR = home
    settings.SNAPSHOT_DIR = home / "snapshots"
    settings.SNAPSHOT_KEY_FILE = None
    storage.keystore().create()
    return home


def cli_env(home, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    return {**env, "LIFELINE_DATA_DIR": str(home), "LIFELINE_DATABASE_URL": f"sqlite:///{home}/lifeline.sqlite3",
            **extra}


def lifeline(home, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([LIFELINE, *map(str, args)], env=cli_env(home, **extra), capture_output=True, text=True,
                          timeout=600)
