"""Watermarks of incremental reads, and their JSON form kept between snapshot builds.

An incremental read asks for the rows whose watermark column is >= the newest value the last
read saw, not >: a HIS stamps rows to the second (Oracle DATE) or stamps a whole update with
one transaction time, so a row stamped with that very value may commit after the last read
began. The rows the last read delivered at exactly that value are remembered by a digest of
their canonical values (`seen`) and skipped when they come again unchanged; a row changed
again within the same second has another digest and is read again.

Not covered: a HIS transaction that stamps rows before a read begins and commits after it with
an older stamp than the newest one seen (a long-running transaction). The mapping's
`watermark_lookback` reads that much further back each time; the nightly full snapshot brings
such rows anyway, and its drift check says when it had to.

A value beyond the HIS's clock is never kept (`Tracker.clamp`, docs/his-mapping.md): the next
read starts at the clock, and the rows stamped in the future come again until the clock
passes them.
"""
import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

# More rows than this sharing the newest value (a bulk update stamped once): they are not
# remembered, and the next read delivers them all again (correct, only larger).
SEEN_LIMIT = 100_000

# JSON name, Python type, to text, from text. datetime before date: a datetime is a date.
_TYPES = (
    ("datetime", datetime.datetime, datetime.datetime.isoformat, datetime.datetime.fromisoformat),
    ("date", datetime.date, datetime.date.isoformat, datetime.date.fromisoformat),
    ("integer", int, str, int),
    ("decimal", Decimal, str, Decimal),
    ("float", float, repr, float),
    ("text", str, str, str),
    ("bytes", bytes, bytes.hex, bytes.fromhex),
)


class WatermarkInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Watermark:
    """The newest watermark value a read saw, and digests of the rows it delivered at that value
    (None: more than SEEN_LIMIT rows, not remembered)."""
    value: object
    seen: frozenset[str] | None = frozenset()


def row_digest(row: tuple) -> str:
    """A digest of one canonical row (its values in field order)."""
    return hashlib.blake2b(repr(row).encode(), digest_size=8).hexdigest()


def watermark_to_json(mark: Watermark | None) -> dict | None:
    """A JSON-ready dict: {"type", "value", "seen"}; the value keeps its exact type (time zone,
    microseconds, decimal places) through watermark_from_json."""
    if mark is None:
        return None
    for name, kind, to_text, _from_text in _TYPES:
        if isinstance(mark.value, kind) and not isinstance(mark.value, bool):
            return {"type": name, "value": to_text(mark.value),
                    "seen": None if mark.seen is None else sorted(mark.seen)}
    raise WatermarkInvalid(f"a watermark of type {type(mark.value).__name__} cannot be kept; "
                           f"use a date/time, number, text or binary row-version column")


def watermark_from_json(data: dict | None) -> Watermark | None:
    if data is None:
        return None
    try:
        from_text = {name: parse for name, _kind, _to, parse in _TYPES}[data["type"]]
        value = from_text(data["value"])
        seen = data.get("seen", [])
        return Watermark(value, None if seen is None else frozenset(seen))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise WatermarkInvalid(f"not a stored watermark: {data!r} ({type(exc).__name__}: {exc})") from None


class Tracker:
    """Follows one read's newest watermark value and the rows delivered at it; drops rows the
    last read (`since`) delivered at its value that come again unchanged."""

    def __init__(self, since: Watermark | None):
        self.since = since
        self.value = since.value if since else None
        self.seen = None if since is None or since.seen is None else set(since.seen)
        self.batch_top = None  # the newest value of the last batch watched (None: none had one)
        self.batch_nulls = 0  # rows of the last batch without a value

    def watch(self, marks, rows: list) -> list:
        """rows (canonical tuples, None for a bad row) with those already delivered set to None;
        marks are the rows' watermark values."""
        since = self.since
        if since is not None and since.seen:
            for i, mark in enumerate(marks):
                if mark == since.value and rows[i] is not None and row_digest(rows[i]) in since.seen:
                    rows[i] = None
        self.batch_nulls = 0
        try:
            top = max(marks)
        except TypeError:  # NULL watermarks: such rows never come in an incremental read
            top = max((m for m in marks if m is not None), default=None)
            self.batch_nulls = marks.count(None)
        if top is None:
            self.batch_nulls = len(marks)
        self.batch_top = top
        if top is None or (self.value is not None and top < self.value):
            return rows
        if self.value is None or top > self.value:
            self.value, self.seen = top, set()
        if self.seen is not None:
            self.seen.update(row_digest(rows[i]) for i, mark in enumerate(marks)
                             if mark == top and rows[i] is not None)
            if len(self.seen) > SEEN_LIMIT:
                self.seen = None
        return rows

    def clamp(self, value):
        """Keep `value` (the HIS's clock, when the value seen is beyond it): rows stamped beyond it
        are read again next time, as are rows at it."""
        self.value, self.seen = value, set()

    @property
    def mark(self) -> Watermark | None:
        if self.value is None:
            return None
        return Watermark(self.value, None if self.seen is None else frozenset(self.seen))
