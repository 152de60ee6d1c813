"""Building snapshot packages from the HIS, and publishing them.

    record = builder.build("his.yaml")                     # a full package
    record = builder.build("his.yaml", incremental=True)   # changes since the newest package
    builder.latest_chain()   # [Published]: the newest full package and its incrementals, in order

A build reads the HIS in one consistent snapshot (adapter.HisSource) and writes the canonical
rows, batch by batch, into a SQLite database in a private directory (private.private_dir),
which is encrypted and signed into the package and removed when the build ends; a build
killed before that leaves the directory to the next build, which removes it first. So the
patient data leaves the HIS only encrypted. A full build reads, checks and hashes the rows
while a second process stores them (writing.DatabaseWriter); an incremental stores its own.

An incremental reads each entity that has a watermark since the parent's watermark, leaves
out rows whose hash did not change, and finds deleted rows by reading the entity's keys (only
the keys) and comparing them with the key index (keyindex.py); an entity without a watermark
is carried whole. Applying it onto its parent gives the rows of a fresh full build.

Before the data, in the same transaction, a build reads the HIS's next numbers the mapping's
`sequences` name (visit, charge, prescription, card) and keeps them with its record
(`his_numbers`): number leases start above them (snapshots.numbers, stations.leasing).
Then, still before the data, it reads which stations' events the HIS's merge ledger holds
(merged.py): the manifest's `merged`, on which stations rebase their local stock.

Every attempt is a SnapshotBuild record. Only one build runs at a time (publishing.build_lock),
and a failed or interrupted one leaves the last good package published; the next build first
recovers what an interrupted one left (recover_interrupted_builds).

Before publishing, the package must keep to the mapping's limits (guard.py): a package that
lost most of an entity's rows to bad values, or shrank sharply against the package it
replaces, is refused (status "refused", the last good package stays published, an alarm says
why). Rows left out and values emptied are kept per build (BuildProblem) for the build's page.
A full build also compares itself with the chain it replaces (drift.py) and raises an alarm
naming the entities that had drifted; `check_drift` does the same without publishing. A
watermark ahead of the HIS's clock is kept at the clock (adapter.py) and alarmed.
"""
import dataclasses
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
from lifeline.core import clock
from lifeline.his.canonical import FAILED, NULLED, SKIPPED, InvalidRow, InvalidValue
from lifeline.his.mapping import MappingInvalid
from lifeline.his.mapping import load as load_mapping
from lifeline.his.reader import HisSource, watermark_to_json
from lifeline.package import container, private, tables, writing
from lifeline.package.keyindex import KeyIndex
from lifeline.package.tables import TABLES, Digest, row_hash
from lifeline.snapshots import drift, guard, merged, publishing, storage
from lifeline.snapshots.guard import BuildRefused
from lifeline.snapshots.models import BuildProblem, SnapshotBuild
from lifeline.snapshots.publishing import SUFFIX, Published, latest_chain  # noqa: F401 - latest_chain is API

BATCH = 2000
KEY_BATCH = 10_000
SKIPPED_KEPT = 1000  # in the record's `skipped` (the full list is its BuildProblem rows)
PROBLEMS_KEPT = 200_000  # BuildProblem rows per build; the summary counts them all
AHEAD_KEYS_KEPT = 20


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


def check_drift(mapping_path, progress: Progress | None = None) -> "DriftCheck":
    """Read the whole HIS as a full build does, compare it with the latest chain (drift.py) and
    raise or resolve the drift alarm; nothing is published and no build is recorded. BuildFailed
    when it cannot read; BuildBusy when a build is running."""
    with publishing.build_lock():
        recover_interrupted_builds()
        return _Build(Path(mapping_path), False, progress or Progress(), "check-drift").check()


class DriftCheck:
    """What `check_drift` found: per entity compared, the keys that differ (`drift`), the chain
    compared with, or why nothing could be compared (`note`)."""

    def __init__(self, chain: str | None, drift: dict | None, note: str, seconds: float):
        self.chain, self.drift, self.note, self.seconds = chain, drift, note, seconds

    @property
    def drifted(self) -> dict:
        return {name: d for name, d in (self.drift or {}).items() if d["keys"]}


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
    private.sweep_private_dirs(storage.work_root())
    publishing.sweep()


class _Build:
    def __init__(self, mapping_path: Path, incremental: bool, progress: Progress, trigger: str):
        self.mapping_path = mapping_path
        self.incremental = incremental
        self.progress = progress
        self.trigger = trigger
        self.started = time.monotonic()
        self.problems = []  # RowProblems of rows left out, values emptied, rows a failed read stopped at
        self.ahead = {}  # entity -> rows stamped beyond the HIS's clock (guard.report_ahead)
        self.notes = []
        self.drift = None  # entity -> drifted keys, when a full build could compare with the chain it replaces
        self.drift_inputs = {}  # entity -> drift.Inputs of the full read
        self.replaced = None  # the manifest of the package this one replaces
        self.numbers = None  # kind -> the HIS's next number (None until read), once the mapping is read
        self.merged = None  # station -> seq ranges the HIS's merge ledger held (merged.py); None: unknown

    def run(self) -> SnapshotBuild:
        now = clock.now()
        last = latest_chain()
        record = SnapshotBuild.objects.create(
            kind=SnapshotBuild.Kind.INCREMENTAL if self.incremental else SnapshotBuild.Kind.FULL,
            trigger=self.trigger, started_at=now,
            package_id=f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
            mapping_path=str(self.mapping_path))
        self.record = record
        kept = last[-1].package_id if last else _("none yet")
        try:
            self._prepare(last)
            record.kind = SnapshotBuild.Kind.INCREMENTAL if self.parent else SnapshotBuild.Kind.FULL
            record.mapping_sha256, record.key_id = self.mapping_sha256, self.key.id
            record.parent = SnapshotBuild.objects.filter(package_id=self.parent.package_id).first() \
                if self.parent else None
            record.save()
            with private.private_dir(storage.work_root()) as work:
                manifest = self._read_his(work, now)
                found = guard.violations(self.mapping, manifest, self.replaced)
                if found:
                    raise BuildRefused(found)
                published = self._publish(work, manifest)
        except BuildRefused as refused:
            self._finish(SnapshotBuild.Status.REFUSED, error=str(refused))
            guard.report_refused(record, refused.violations, kept)
            guard.report_ahead(record, self.ahead)
            raise BuildFailed(_("snapshot package refused, not published:\n%(reasons)s\nthe last good package stays "
                                "published: %(package)s") % {"reasons": refused, "package": kept}, record) from None
        except Exception as exc:
            if isinstance(exc, InvalidRow):
                self.problems += [p if p.outcome else dataclasses.replace(p, outcome=FAILED) for p in exc.problems]
            self._finish(SnapshotBuild.Status.FAILED, error=_reason(exc))
            raise BuildFailed(_("snapshot build failed: %(reason)s\nthe last good package stays published: "
                                "%(package)s") % {"reason": _reason(exc), "package": kept}, record) from exc
        record = self._finish(SnapshotBuild.Status.PUBLISHED, published=published, manifest=manifest)
        guard.resolve_refused(record)
        guard.report_ahead(record, self.ahead)
        guard.report_drift(record, self.drift)
        return record

    def check(self) -> DriftCheck:
        """check_drift: the full read into a private directory, compared, never published."""
        now = clock.now()
        last = latest_chain()
        self.record = SnapshotBuild(kind=SnapshotBuild.Kind.FULL, trigger=self.trigger, started_at=now,
                                    package_id="", mapping_path=str(self.mapping_path))
        try:
            self._prepare(last)
            if not last:
                return DriftCheck(None, None, _("no package published yet: nothing to compare with"), 0.0)
            with private.private_dir(storage.work_root()) as work:
                self._read_his(work, now)
        except Exception as exc:
            raise BuildFailed(_("the drift check failed: %(reason)s") % {"reason": _reason(exc)}) from exc
        guard.report_drift(self.record, self.drift)
        return DriftCheck(last[-1].package_id, self.drift, "\n".join(self.notes),
                          round(time.monotonic() - self.started, 3))

    def _prepare(self, last: list[Published]):
        self.mapping = load_mapping(self.mapping_path)
        self.numbers = dict.fromkeys(self.mapping.sequences)
        self.mapping_sha256 = mapping_hash(self.mapping)
        self.key = storage.keystore().current()
        self.parent = self._parent(last)
        if self.parent:
            self.replaced = self.parent_manifest["entities"]
        elif last:
            self.replaced_manifest = container.open_package(last[-1].path).manifest
            self.replaced = self.replaced_manifest["entities"]

    def _parent(self, last: list[Published]) -> Published | None:
        """The package an incremental builds on, or None for a full build (saying why in the note)."""
        if not self.incremental:
            return None
        if not last:
            self.record.note = _("no package published yet: built a full package")
            return None
        parent = last[-1]
        self.parent_manifest = container.open_package(parent.path).manifest
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
            "format": container.FORMAT, "package_id": self.record.package_id,
            "kind": "incremental" if self.parent else "full",
            "parent": {"package_id": self.parent.package_id, "sha256": self.parent.sha256} if self.parent else None,
            "chain": self.parent_manifest["chain"] if self.parent else self.record.package_id,
            "built_at": now.isoformat(), "builder": f"lifeline {version('lifeline')}",
            "his": self.mapping.his, "mapping_sha256": self.mapping_sha256, "key_id": self.key.id,
            "entities": entities,
            **({"merged": self.merged} if self.merged is not None else {}),
        }

    def _read_full(self, work: Path, expected: dict) -> dict:
        """A full package: a second process stores the rows (writing.DatabaseWriter) while this
        one reads, checks and hashes them. Then the drift check against the chain it replaces."""
        writer = writing.DatabaseWriter(work / "package.sqlite3", work / "index.sqlite3")
        try:
            entities = self._read_entities(expected, lambda snap, table: self._whole(snap, writer, table, "full"))
            writer.finish()
        finally:
            writer.close()
        self._compare_with_chain(work, entities)
        return entities

    def _drift_since(self, name: str):
        """For a full build that can compare with the chain it replaces: the watermark value rows
        count as changed from (drift.changed_since); None otherwise."""
        if self.parent is not None or not self.replaced or not self._comparable():
            return None
        return drift.changed_since(self.replaced.get(name), self.mapping.entities[name])

    def _comparable(self) -> bool:
        """Whether the chain this full build replaces was read by the same queries, and its key index is here."""
        manifest = getattr(self, "replaced_manifest", None)
        index = publishing.index_file()
        return bool(manifest and manifest.get("mapping_sha256") == self.mapping_sha256 and index is not None
                    and index.exists() and index.stem == manifest["package_id"])

    def _compare_with_chain(self, work: Path, entities: dict):
        """Compare each entity whose checksum differs from the chain's (and that the chain reads
        by its watermark) key by key: self.drift."""
        if not self.replaced:
            return
        if not self._comparable():
            if self.replaced_manifest.get("mapping_sha256") == self.mapping_sha256:
                self.notes.append(_("no drift check: the key index of the chain replaced is missing"))
            return  # read by other queries: nothing to compare
        self.progress.stage(None, gettext_noop("comparing with the chain replaced"))
        differing = {name: inputs for name, inputs in self.drift_inputs.items()
                     if entities[name]["total_digest"] != self.replaced[name]["total_digest"]}
        self.drift = {name: {"keys": 0, "examples": []} for name in self.drift_inputs}
        if differing:
            container.unseal(publishing.index_file(), work / "replaced-index.sqlite3", storage.keystore())
            self.drift.update(drift.compare(work / "index.sqlite3", work / "replaced-index.sqlite3", differing))

    def _read_changes(self, work: Path, expected: dict) -> dict:
        """An incremental: its rows, and the key index it compares with, in this process."""
        container.unseal(publishing.index_file(), work / "index.sqlite3", storage.keystore())
        db = writing.new_database(work / "package.sqlite3")
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
            writing.shrink_if_small(db, work / "package.sqlite3")
        finally:
            db.close()
        return entities

    def _read_entities(self, expected: dict, read_one) -> dict:
        entities = {}
        # No fetch thread: it takes the GIL whenever a SQLite statement lets it go (measured:
        # 1,000,000 patients 6.2 s with it, 5.0 s without).
        with HisSource(self.mapping, fetch_ahead=False).snapshot() as snap:
            self.numbers = snap.numbers()  # first: a wrong sequence query fails the build before the long read
            self.merged = merged.read(snap)  # before the stock: a merge meanwhile is at worst subtracted twice
            if self.merged is None:
                self.notes.append(_("the HIS's merge ledger could not be read: stations rebase their local stock "
                                    "on this package's build time (moves not merged yet may be taken as counted)"))
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
        stated = container.open_package(chain[-1].path).manifest["entities"]
        return {name: entry["total_rows"] for name, entry in stated.items()}

    def _whole(self, snap, store, table, mode: str) -> dict:
        """Every row of the entity; the index of it starts afresh."""
        since = self._drift_since(table.name) if mode == "full" else None
        read = snap.read(table.name, changed_since=since)
        rows = Digest()
        for columns in read.column_batches():
            columns = table.stored_columns(columns)
            texts = tables.value_texts(columns)
            hashes, digests = tables.hashes_of(tables.row_texts(texts))
            store.rows(table, columns, texts, digests, hashes)
            rows.add_all(hashes)
            self.progress.rows(table.name, rows.count)
        store.take_index(table)
        self._skipped(read)
        if since is not None:
            self.drift_inputs[table.name] = drift.Inputs(read.changed_keys, {p.key for p in read.skipped})
        return _entry(mode, read, rows, Digest(), rows, read.count + len({p.key for p in read.skipped}))

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
            writing.insert_rows(db, table, list(map(tuple.__add__, fresh, zip(hashes))))
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
        """Keep what the read left out or emptied, and what it says about its watermark."""
        self.problems += read.skipped
        self.problems += read.nulled
        name = read.entity.name
        if read.ahead is not None:
            a = read.ahead
            self.ahead[name] = {"rows": a.rows, "newest": _text(a.newest), "clock": _text(a.clock),
                                "keys": a.keys[:AHEAD_KEYS_KEPT], "since_was": _text(a.since_was)}
            if a.since_was is not None:
                self.notes.append(_("%(entity)s: the watermark kept by the last package (%(mark)s) was ahead of the "
                                    "HIS's clock (%(clock)s): rows changed before it may be missing until the next "
                                    "full package") % {"entity": name, "mark": a.since_was, "clock": a.clock})
        if read.null_marks:
            rows = read.count + len({p.key for p in read.skipped})
            column = read.spec.watermark
            if read.null_marks >= rows:
                self.notes.append(_("%(entity)s: the watermark %(column)s is NULL in every row: an incremental reads "
                                    "the whole entity") % {"entity": name, "column": column})
            else:
                self.notes.append(_("%(entity)s: %(count)s rows have no watermark value (%(column)s is NULL): their "
                                    "changes reach stations only with full packages") % {
                    "entity": name, "count": f"{read.null_marks:,}", "column": column})

    # -- sealing and publishing -----------------------------------------------------------

    def _publish(self, work: Path, manifest: dict) -> Published:
        package_id = manifest["package_id"]
        self.progress.stage(None, gettext_noop("encrypting"))
        temp, index_temp = publishing.temp_path(package_id + SUFFIX), publishing.temp_path("index" + SUFFIX)
        try:
            sha256 = container.write(work / "package.sqlite3", temp, manifest, self.key)
            published = Published(package_id, package_id + SUFFIX, manifest["kind"], sha256, temp.stat().st_size,
                                  manifest["built_at"], self.parent.package_id if self.parent else None)
            container.write(work / "index.sqlite3", index_temp, {
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
        skipped = [p for p in self.problems if p.outcome == SKIPPED]
        record.skipped = [{"entity": p.entity, "key": p.key, "field": p.field, "reason": p.reason}
                          for p in skipped[:SKIPPED_KEPT]]
        record.skipped_count = len(skipped)
        record.nulled_count = sum(1 for p in self.problems if p.outcome == NULLED)
        record.problem_summary = summary(self.problems)
        record.watermark_ahead, record.drift, record.his_numbers = self.ahead, self.drift, self.numbers
        if self.notes:
            record.note = "\n".join(filter(None, [record.note, *self.notes]))
        if published:
            record.path, record.size_bytes = str(published.path), published.size
            entities = manifest["entities"]
            record.row_counts = {name: e["rows"] for name, e in entities.items()}
            record.deleted_counts = {name: e["deleted"] for name, e in entities.items()}
            record.total_counts = {name: e["total_rows"] for name, e in entities.items()}
        record.save()
        BuildProblem.objects.bulk_create(
            (BuildProblem(build=record, entity=p.entity, key=p.key[:200], field=p.field, reason=p.reason[:500],
                          outcome=p.outcome) for p in self.problems[:PROBLEMS_KEPT]), batch_size=2000)
        return record


class _Store:
    """Rows of whole entities into the package's database in this process (as DatabaseWriter)."""

    def __init__(self, db: sqlite3.Connection, index: KeyIndex):
        self.db, self.index = db, index

    def rows(self, table, columns: list[list], texts, digests, hashes: list[int]):
        writing.insert_rows(self.db, table, list(zip(*columns, hashes)))

    def take_index(self, table):
        self.index.take(table, whole=True)


def _entry(mode: str, read, rows: Digest, gone: Digest, state: Digest, his_rows: int) -> dict:
    """An entity in the manifest: rows and deleted keys in the package, the state after applying
    it, the watermark reached, problems of rows skipped, values emptied, rows stamped ahead of
    the HIS's clock, and how many rows the HIS had (valid or not)."""
    return {"mode": mode, "rows": rows.count, "digest": rows.hexdigest(), "deleted": gone.count,
            "deleted_digest": gone.hexdigest(), "total_rows": state.count, "total_digest": state.hexdigest(),
            "watermark": watermark_to_json(read.mark), "skipped": len(read.skipped),
            "nulled": len({p.key for p in read.nulled}), "ahead": read.ahead.rows if read.ahead else 0,
            "his_rows": his_rows}


def summary(problems) -> list[dict]:
    """Problems counted per entity, field and outcome, each with its first example, in order of entity
    then field."""
    found = {}
    for p in problems:
        entry = found.get((p.entity, p.field, p.outcome))
        if entry is None:
            found[p.entity, p.field, p.outcome] = {"entity": p.entity, "field": p.field, "outcome": p.outcome,
                                                   "count": 1, "key": p.key, "reason": p.reason}
        else:
            entry["count"] += 1
    return list(found.values())


def _text(value) -> str | None:
    return None if value is None else value.isoformat(sep=" ") if hasattr(value, "hour") else str(value)


def _reason(exc: Exception) -> str:
    """A failure's reason in the reader's language: a mapping with problems is sent to `his check`;
    rows a read stopped at are listed one a line."""
    if isinstance(exc, MappingInvalid):
        first = exc.problems[0]
        return _("the mapping file %(file)s has %(count)d problem(s); `lifeline his check %(file)s` lists them "
                 "(the first at line %(line)s, %(field)s)") % {
            "file": first.file, "count": len(exc.problems), "line": first.line, "field": first.field}
    if isinstance(exc, InvalidRow):
        rows = {(p.entity, p.key) for p in exc.problems}
        return "\n".join(map(str, exc.problems)) if len(rows) > 1 else str(exc)
    return str(exc) or type(exc).__name__


def _his_keys(snap, mapping, table):
    """The entity's current keys in the HIS, in batches of (rows fetched, keys): only the key
    columns are read, in the build's snapshot of the HIS. Rows come straight from the driver's
    cursor (SQLAlchemy's row objects would cost more than the whole comparison); keys are
    cleaned as canonical text fields are, and a key that is not valid text is left out (its
    row is never in the index)."""
    entity = table.entity
    fields = [entity.by_name[k] for k in entity.key]
    columns = ", ".join("src." + k for k in entity.key)
    stmt = sa.text(f"SELECT {columns} FROM ({mapping.entities[table.name].query}) src")
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
    entities = json.dumps({name: spec.data_rules() for name, spec in mapping.entities.items()}, sort_keys=True,
                          ensure_ascii=False)
    return hashlib.sha256(entities.encode()).hexdigest()
