"""Drift: changes a watermark cannot see, found by comparing a fresh full read with the chain.

An incremental reads the rows whose watermark moved. A change that moves no watermark (a
child row voided without touching its parent, a row inserted with an old stamp, a row whose
watermark is NULL) never reaches an incremental, and the stations keep the old row. A full
build reads everything, so it compares its state with the chain it replaces: where an entity's
checksum differs, it compares the keys and hashes of both (the new key index against the
chain's) and leaves out what the chain could not have known yet: rows whose watermark is at
or after the chain's (an incremental now would read them), and rows deleted since (an
incremental finds those by their keys). What remains is drift:

- a key whose row differs, or that is new, with a watermark older than the chain's;
- a key the chain holds whose row the HIS still has but which now fails its checks (left out),
  with an older watermark.

    found = drift.compare(new_index, old_index, {entity: Inputs(changed_keys, skipped_keys)})
    -> {entity: {"keys": n, "examples": [first keys]}}

Both index files are SQLite databases of one table per entity (k, h, kv) (keyindex.py),
plaintext in the build's private directory.
"""
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from lifeline.his.reader import _as_watermark, _earlier

EXAMPLES = 20


@dataclass
class Inputs:
    """What the full read saw of one entity: keys of rows changed since the chain's watermark, and
    keys of rows left out for bad values."""
    changed: set = field(default_factory=set)
    skipped: set = field(default_factory=set)


def changed_since(stated: dict | None, spec) -> object | None:
    """The watermark value from which rows count as changes the chain could not know yet (the
    chain's watermark less the look-back window); None when the entity is not compared (no
    watermark, or the chain kept none: an incremental reads it whole)."""
    if not spec.watermark or not stated or stated.get("mode") == "whole" or stated.get("watermark") is None:
        return None
    return _earlier(_as_watermark(stated["watermark"]).value, spec.lookback)


def compare(new_index: Path, old_index: Path, inputs: dict[str, Inputs]) -> dict[str, dict]:
    """Drift per entity of `inputs` (keys and first examples), comparing the two index files."""
    found = {}
    db = sqlite3.connect(new_index)
    try:
        db.execute("ATTACH DATABASE ? AS old", (str(old_index),))
        for name, seen in inputs.items():
            db.execute("DROP TABLE IF EXISTS temp.explained")
            db.execute("DROP TABLE IF EXISTS temp.left_out")
            db.execute("CREATE TEMP TABLE explained (k TEXT PRIMARY KEY) WITHOUT ROWID")
            db.execute("CREATE TEMP TABLE left_out (k TEXT PRIMARY KEY) WITHOUT ROWID")
            db.executemany("INSERT OR IGNORE INTO temp.explained VALUES (?)", zip(seen.changed))
            db.executemany("INSERT OR IGNORE INTO temp.left_out VALUES (?)", zip(seen.skipped))
            drifted = f'''
                SELECT n.k FROM main."{name}" n LEFT JOIN old."{name}" o ON o.k = n.k
                WHERE (o.k IS NULL OR o.h <> n.h) AND n.k NOT IN (SELECT k FROM temp.explained)
                UNION ALL
                SELECT o.k FROM old."{name}" o JOIN temp.left_out s ON s.k = o.k
                WHERE o.k NOT IN (SELECT k FROM main."{name}") AND o.k NOT IN (SELECT k FROM temp.explained)'''
            count = db.execute(f"SELECT count(*) FROM ({drifted})").fetchone()[0]
            examples = [k for (k,) in db.execute(f"SELECT k FROM ({drifted}) ORDER BY k LIMIT {EXAMPLES}")] \
                if count else []
            found[name] = {"keys": count, "examples": examples}
    finally:
        db.close()
    return found
