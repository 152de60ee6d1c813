"""Building snapshot packages from the HIS, and publishing them.

    record = builder.build("his.yaml")                     # a full package
    record = builder.build("his.yaml", incremental=True)   # changes since the newest package
    builder.latest_chain()   # [Published]: the newest full package and its incrementals, in order

A build reads the HIS in one consistent snapshot (adapter.HisSource) and writes the canonical
rows, batch by batch, into a SQLite database in a private directory (packages.private_dir),
which is encrypted and signed into the package and removed when the build ends; a build
killed before that leaves the directory to the next build, which removes it first. So the
patient data leaves the HIS only encrypted. A full build reads, checks and hashes the rows
while a second process stores them (packages.DatabaseWriter); an incremental stores its own.

An incremental reads each entity that has a watermark since the parent's watermark, leaves
out rows whose hash did not change, and finds deleted rows by reading the entity's keys (only
the keys) and comparing them with the key index (keyindex.py); an entity without a watermark
is carried whole. Applying it onto its parent gives the rows of a fresh full build.

Every attempt is a SnapshotBuild record. Only one build runs at a time (publishing.build_lock),
and a failed or interrupted one leaves the last good package published; the next build first
recovers what an interrupted one left (recover_interrupted_builds).
"""
import hashlib
import json
import operator
import secrets
import sqlite3
import time
from datetime import UTC
from importlib.metadata import version
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lifeline.audit.bulk import audited_update
from lifeline.continuity import packages, publishing
from lifeline.continuity.adapter import HisSource, watermark_to_json
from lifeline.continuity.canonical import InvalidValue
from lifeline.continuity.keyindex import KeyIndex
from lifeline.continuity.keystore import KeyStore
from lifeline.continuity.mapping import load as load_mapping
from lifeline.continuity.models import SnapshotBuild
from lifeline.continuity.packages import TABLES, Digest, row_hash
from lifeline.continuity.publishing import SUFFIX, Published, latest_chain  # noqa: F401 - latest_chain is API
from lifeline.core import clock

BATCH = 2000
KEY_BATCH = 10_000
SKIPPED_KEPT = 1000


class BuildFailed(Exception):
    def __init__(self, message: str, record: SnapshotBuild | None = None):
        super().__init__(message)
        self.record = record


class Progress:
    """What a build tells while it runs; the command line draws it, the worker ignores it."""

    def entity(self, name: str, expected: int | None):
        """Reading `name` starts; `expected` rows if known."""

    def rows(self, name: str, count: int):
        """`count` rows of `name` read so far."""

    def stage(self, name: str | None, what: str):
        """A step without a row count (comparing keys, encrypting)."""

    def entity_done(self, name: str, rows: int, deleted: int, seconds: float):
        """`name` finished: `rows` written, `deleted` keys found."""


def build(mapping_path, incremental: bool = False, progress: Progress | None = None,
          trigger: str = "cli") -> SnapshotBuild:
    """Build and publish a package; returns its record. BuildFailed (with the failed record)
    when it cannot, BuildBusy when another build is running."""
    with publishing.build_lock():
        recover_interrupted_builds()
        return _Build(Path(mapping_path), incremental, progress or Progress(), trigger).run()


def recover_interrupted_builds():
    """Recover what an interrupted build left (only while holding the build lock): its record
    says running (marked failed, or published when its package was published before the kill),
    its plaintext directory and temporary files are still there (removed)."""
    published = {p.package_id: p for chain in publishing.chains() for p in chain}
    for record in SnapshotBuild.objects.filter(status=SnapshotBuild.Status.RUNNING):
        done = published.get(record.package_id)
        if done:  # killed after publishing, before writing its record
            record.status, record.path, record.size_bytes = SnapshotBuild.Status.PUBLISHED, str(done.path), done.size
        else:
            record.status = SnapshotBuild.Status.FAILED
            record.error = _("interrupted: the build ended before publishing (killed or crashed)")
        record.save()
    packages.sweep_private_dirs()
    publishing.sweep()


class _Build:
    def __init__(self, mapping_path: Path, incremental: bool, progress: Progress, trigger: str):
        self.mapping_path = mapping_path
        self.incremental = incremental
        self.progress = progress
        self.trigger = trigger
        self.started = time.monotonic()
        self.skipped = []

    def run(self) -> SnapshotBuild:
        now = clock.now()
        last = latest_chain()
        record = SnapshotBuild.objects.create(
            kind=SnapshotBuild.Kind.INCREMENTAL if self.incremental else SnapshotBuild.Kind.FULL,
            trigger=self.trigger, started_at=now, package_id=f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
            mapping_path=str(self.mapping_path))
        self.record = record
        try:
            self.mapping = load_mapping(self.mapping_path)
            self.mapping_sha256 = mapping_hash(self.mapping)
            self.key = KeyStore.default().current()
            self.parent = self._parent(last)
            record.kind = SnapshotBuild.Kind.INCREMENTAL if self.parent else SnapshotBuild.Kind.FULL
            record.mapping_sha256, record.key_id = self.mapping_sha256, self.key.id
            record.parent = SnapshotBuild.objects.filter(package_id=self.parent.package_id).first() \
                if self.parent else None
            record.save()
            with packages.private_dir() as work:
                manifest = self._read_his(work, now)
                published = self._publish(work, manifest)
        except Exception as exc:
            self._finish(SnapshotBuild.Status.FAILED, error=str(exc) or type(exc).__name__)
            kept = last[-1].package_id if last else _("none yet")
            raise BuildFailed(_("snapshot build failed: %(reason)s\nthe last good package stays published: "
                                "%(package)s") % {"reason": exc, "package": kept}, record) from exc
        return self._finish(SnapshotBuild.Status.PUBLISHED, published=published, manifest=manifest)

    def _parent(self, last: list[Published]) -> Published | None:
        """The package an incremental builds on, or None for a full build (saying why in the note)."""
        if not self.incremental:
            return None
        if not last:
            self.record.note = _("no package published yet: built a full package")
            return None
        parent = last[-1]
        self.parent_manifest = packages.open_package(parent.path).manifest
        index = publishing.index_file()
        if self.parent_manifest["mapping_sha256"] != self.mapping_sha256:
            self.record.note = _("the mapping changed since %s: built a full package") % parent.package_id
        elif index is None or not index.exists() or index.stem != parent.package_id:
            self.record.note = _("the key index of %s is missing: built a full package") % parent.package_id
        else:
            return parent
        return None

    # -- reading the HIS into the private database ----------------------------------------

    def _read_his(self, work: Path, now) -> dict:
        expected = self._expected()
        entities = self._read_changes(work, expected) if self.parent else self._read_full(work, expected)
        return {
            "format": packages.FORMAT, "package_id": self.record.package_id,
            "kind": "incremental" if self.parent else "full",
            "parent": {"package_id": self.parent.package_id, "sha256": self.parent.sha256} if self.parent else None,
            "chain": self.parent_manifest["chain"] if self.parent else self.record.package_id,
            "built_at": now.isoformat(), "builder": f"lifeline {version('lifeline')}",
            "his": self.mapping.his, "mapping_sha256": self.mapping_sha256, "key_id": self.key.id,
            "entities": entities,
        }

    def _read_full(self, work: Path, expected: dict) -> dict:
        """A full package: a second process stores the rows (packages.DatabaseWriter) while this
        one reads, checks and hashes them."""
        writer = packages.DatabaseWriter(work / "package.sqlite3", work / "index.sqlite3")
        try:
            entities = self._read_entities(expected, lambda snap, table: self._whole(snap, writer, table, "full"))
            writer.finish()
        finally:
            writer.close()
        return entities

    def _read_changes(self, work: Path, expected: dict) -> dict:
        """An incremental: its rows, and the key index it compares with, in this process."""
        packages.unseal(publishing.index_file(), work / "index.sqlite3")
        db = packages.new_database(work / "package.sqlite3")
        self.index = KeyIndex(db, work / "index.sqlite3")
        store = _Store(db, self.index)
        db.execute("BEGIN")  # one transaction for the package and its index
        try:
            def read_one(snap, table):
                if self.mapping.entities[table.name].watermark:
                    return self._changes(snap, db, table, self.parent_manifest["entities"][table.name])
                return self._whole(snap, store, table, "whole")

            entities = self._read_entities(expected, read_one)
            db.execute("COMMIT")
            packages.shrink_if_small(db, work / "package.sqlite3")
        finally:
            db.close()
        return entities

    def _read_entities(self, expected: dict, read_one) -> dict:
        entities = {}
        # No fetch thread: it takes the GIL whenever a SQLite statement lets it go (measured:
        # 1,000,000 patients 6.2 s with it, 5.0 s without).
        with HisSource(self.mapping, fetch_ahead=False).snapshot() as snap:
            for name, table in TABLES.items():
                started = time.monotonic()
                spec = self.mapping.entities[name]
                self.progress.entity(name, None if self.parent and spec.watermark else expected.get(name))
                entry = entities[name] = read_one(snap, table)
                self.progress.entity_done(name, entry["rows"], entry["deleted"], time.monotonic() - started)
        return entities

    def _expected(self) -> dict:
        chain = latest_chain()
        if not chain:
            return {}
        stated = packages.open_package(chain[-1].path).manifest["entities"]
        return {name: entry["total_rows"] for name, entry in stated.items()}

    def _whole(self, snap, store, table, mode: str) -> dict:
        """Every row of the entity; the index of it starts afresh."""
        read = snap.read(table.name)
        rows = Digest()
        for columns in read.column_batches():
            columns = table.stored_columns(columns)
            texts = packages.value_texts(columns)
            hashes, digests = packages.hashes_of(packages.row_texts(texts))
            store.rows(table, columns, texts, digests, hashes)
            rows.add_all(hashes)
            self.progress.rows(table.name, rows.count)
        store.take_index(table)
        self._skipped(read)
        return _entry(mode, read, rows, Digest(), rows, read.count + len(read.skipped))

    def _changes(self, snap, db, table, stated: dict) -> dict:
        """The rows changed since the parent's watermark, and the keys deleted since."""
        name = table.name
        read = snap.read(name, since=stated["watermark"])
        state, rows, gone = Digest(stated["total_digest"], stated["total_rows"]), Digest(), Digest()
        for batch in read.batches():
            values = table.stored(batch)
            old = self.index.hashes(name, list(map(table.key, values)))
            fresh, hashes = [], []
            for v, hashed in zip(values, map(row_hash, values)):
                was = old.get(table.key(v))
                if was == hashed:
                    continue  # read again, but unchanged
                if was is not None:
                    state.remove(was)
                fresh.append(v)
                hashes.append(hashed)
            packages.insert_rows(db, table, list(map(tuple.__add__, fresh, zip(hashes))))
            rows.add_all(hashes)
            state.add_all(hashes)
            self.progress.rows(name, rows.count)
        self.index.take(table, whole=False)
        self._skipped(read)
        # A row that no longer passes the canonical checks is gone from a fresh full build too.
        self._delete(db, table, self.index.remove(name, sorted({p.key for p in read.skipped})), state, gone)
        his_rows = self._find_deleted(snap, db, table, stated, read, state, gone)
        return _entry("changes", read, rows, gone, state, his_rows)

    def _find_deleted(self, snap, db, table, stated: dict, read, state: Digest, gone: Digest) -> int:
        """List the keys the HIS no longer has as deleted; returns how many rows the HIS has.
        When every row of the HIS was valid at the parent and is now, a count tells whether any
        row went (the index then has exactly the HIS's keys); only otherwise is every key read
        and compared."""
        name = table.name
        if not read.skipped and stated.get("his_rows") == stated["total_rows"]:
            his_rows = _his_count(snap, self.mapping, table)
            if his_rows == self.index.count(name):
                return his_rows
        self.progress.stage(name, gettext_noop("comparing keys"))
        self.index.start_seen()
        his_rows = 0
        for fetched, keys in _his_keys(snap, self.mapping, table):
            self.index.see(keys)
            his_rows += fetched
        for batch in self.index.unseen(name):
            self._delete(db, table, batch, state, gone)
        return his_rows

    def _delete(self, db, table, entries, state: Digest, gone: Digest):
        keys = [KeyIndex.key_values(k, kv) for k, _h, kv in entries]
        db.executemany(table.insert_deleted_sql(), keys)
        for (_k, hashed, _kv), key in zip(entries, keys):
            state.remove(hashed)
            gone.add(row_hash(key))

    def _skipped(self, read):
        self.skipped += [{"entity": p.entity, "key": p.key, "field": p.field, "reason": p.reason}
                         for p in read.skipped]

    # -- sealing and publishing -----------------------------------------------------------

    def _publish(self, work: Path, manifest: dict) -> Published:
        package_id = manifest["package_id"]
        self.progress.stage(None, gettext_noop("encrypting"))
        temp, index_temp = publishing.temp_path(package_id + SUFFIX), publishing.temp_path("index" + SUFFIX)
        try:
            sha256 = packages.write(work / "package.sqlite3", temp, manifest, self.key)
            published = Published(package_id, package_id + SUFFIX, manifest["kind"], sha256, temp.stat().st_size,
                                  manifest["built_at"], self.parent.package_id if self.parent else None)
            packages.write(work / "index.sqlite3", index_temp, {
                "package_id": f"index-{package_id}", "kind": "index", "key_id": self.key.id}, self.key)
        except BaseException:
            temp.unlink(missing_ok=True)
            index_temp.unlink(missing_ok=True)
            raise
        publishing.put(temp, published.file)
        index = f"index/{package_id}{SUFFIX}"
        publishing.put(index_temp, index)
        dropped = publishing.publish(published, index, settings.SNAPSHOT_KEEP)
        audited_update(SnapshotBuild.objects.filter(package_id__in=[p.package_id for p in dropped]),
                       pruned_at=clock.now())
        return published

    def _finish(self, status, error: str = "", published: Published | None = None,
                manifest: dict | None = None) -> SnapshotBuild:
        record = self.record
        record.status, record.error = status, error
        record.finished_at = clock.now()
        record.duration_seconds = round(time.monotonic() - self.started, 3)
        record.skipped, record.skipped_count = self.skipped[:SKIPPED_KEPT], len(self.skipped)
        if published:
            record.path, record.size_bytes = str(published.path), published.size
            entities = manifest["entities"]
            record.row_counts = {name: e["rows"] for name, e in entities.items()}
            record.deleted_counts = {name: e["deleted"] for name, e in entities.items()}
            record.total_counts = {name: e["total_rows"] for name, e in entities.items()}
        record.save()
        return record


class _Store:
    """Rows of whole entities into the package's database in this process (as DatabaseWriter)."""

    def __init__(self, db: sqlite3.Connection, index: KeyIndex):
        self.db, self.index = db, index

    def rows(self, table, columns: list[list], texts, digests, hashes: list[int]):
        packages.insert_rows(self.db, table, list(zip(*columns, hashes)))

    def take_index(self, table):
        self.index.take(table, whole=True)


def _entry(mode: str, read, rows: Digest, gone: Digest, state: Digest, his_rows: int) -> dict:
    """An entity in the manifest: rows and deleted keys in the package, the state after applying
    it, the watermark reached, rows skipped, and how many rows the HIS had (valid or not)."""
    return {"mode": mode, "rows": rows.count, "digest": rows.hexdigest(), "deleted": gone.count,
            "deleted_digest": gone.hexdigest(), "total_rows": state.count, "total_digest": state.hexdigest(),
            "watermark": watermark_to_json(read.mark), "skipped": len(read.skipped), "his_rows": his_rows}


def _his_keys(snap, mapping, table):
    """The entity's current keys in the HIS, in batches of (rows fetched, keys): only the key
    columns are read, in the build's snapshot of the HIS. Rows come straight from the driver's
    cursor (SQLAlchemy's row objects would cost more than the whole comparison); keys are
    cleaned as canonical text fields are, and a key that is not valid text is left out (its
    row is never in the index)."""
    entity = table.entity
    fields = [entity.by_name[k] for k in entity.key]
    stmt = sa.text(f"SELECT {', '.join('src.' + k for k in entity.key)} FROM ({mapping.entities[table.name].query}) src")
    connection = snap.connection.execution_options(stream_results=True, yield_per=KEY_BATCH)
    driver_error = connection.dialect.loaded_dbapi.Error
    with snap.source._errors(table.name):
        result = connection.execute(stmt)
        try:
            # SQLAlchemy reads at most one row ahead of the cursor; take it through its API first.
            batch = [tuple(row) for row in result.fetchmany(1)]
            while batch:
                yield len(batch), _clean_keys(fields, batch)
                try:
                    batch = result.cursor.fetchmany(KEY_BATCH)
                except driver_error as exc:
                    raise sa.exc.DBAPIError.instance(str(stmt), None, exc, driver_error) from None
        finally:
            result.close()


def _his_count(snap, mapping, table) -> int:
    with snap.source._errors(table.name):
        return snap.connection.execute(sa.text(
            f"SELECT COUNT(*) FROM ({mapping.entities[table.name].query}) src")).scalar_one()


def _clean_keys(fields, batch) -> list[str]:
    if len(fields) == 1:
        try:
            return list(map(str.strip, map(operator.itemgetter(0), batch)))
        except TypeError:
            pass  # not all text (a number as key): one by one
    keys = []
    for row in batch:
        try:
            keys.append("/".join(f.clean(v) for f, v in zip(fields, row)))
        except InvalidValue:
            continue
    return keys


def mapping_hash(mapping) -> str:
    """What decides the data: the entities' queries, keys, watermarks and row rules. A change of
    connection (another host, a longer timeout) keeps the chain; a change of these needs a full."""
    entities = json.dumps(mapping.model_dump(mode="json")["entities"], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(entities.encode()).hexdigest()
