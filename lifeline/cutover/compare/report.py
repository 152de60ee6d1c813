"""What a comparison found: per table the row counts and the differing rows, by kind.

Kinds: a key only in the old system is *missing* in the new one; a key only in the new system
is *extra*; a key on both sides whose compared columns differ is *changed* (naming them).
Counts are exact; the kept list of differences stops at the spec's `listed` per table.
"""
from dataclasses import dataclass, field

MISSING, EXTRA, CHANGED = "missing", "extra", "changed"
KINDS = (MISSING, EXTRA, CHANGED)
KIND_WORDS = {MISSING: "missing in target", EXTRA: "extra in target", CHANGED: "changed"}


@dataclass(frozen=True)
class Difference:
    kind: str
    key: tuple
    columns: tuple = ()  # for `changed`: the compared columns that differ
    source: tuple | None = None  # the normalised compared values on each side
    target: tuple | None = None


@dataclass
class TableReport:
    name: str
    columns: tuple  # names of the compared columns, in the order of `source`/`target` values
    tolerance: int
    listed: int
    source_rows: int = 0
    target_rows: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    ranges: int = 0  # key ranges in the first pass
    ranges_differing: int = 0  # of which drilled into
    rows_reread: int = 0  # rows read again while drilling into differing ranges (both sides)
    _unmatched: dict = field(default_factory=lambda: {MISSING: {}, EXTRA: {}})
    _changed: list = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(self.counts.values())

    @property
    def exceeds_tolerance(self) -> bool:
        return self.differences > self.tolerance

    def one_side_only(self, kind: str, key: tuple, values: tuple):
        """A key seen on one side only (within one range). A key found missing in one range and
        extra in another (the two databases order text keys differently) is one row after all:
        the pair is taken back and compared by value."""
        other = EXTRA if kind == MISSING else MISSING
        if key in self._unmatched[other]:
            counterpart = self._unmatched[other].pop(key)
            self.counts[other] -= 1
            source, target = (values, counterpart) if kind == MISSING else (counterpart, values)
            if source != target:
                self.changed(key, source, target)
            return
        self.counts[kind] += 1
        if self.kept < self.listed:
            self._unmatched[kind][key] = values

    def changed(self, key: tuple, source: tuple, target: tuple):
        self.counts[CHANGED] += 1
        if self.kept < self.listed:
            differing = tuple(name for name, a, b in zip(self.columns, source, target, strict=True) if a != b)
            self._changed.append(Difference(CHANGED, key, differing, source, target))

    @property
    def kept(self) -> int:
        return len(self._changed) + sum(len(kept) for kept in self._unmatched.values())

    def of_kind(self, kind: str) -> list[Difference]:
        """The kept differences of one kind, by key."""
        if kind == CHANGED:
            return sorted(self._changed, key=lambda d: d.key)
        side = "source" if kind == MISSING else "target"
        return [Difference(kind, key, (), **{side: values}) for key, values in sorted(self._unmatched[kind].items())]

    def all_differences(self) -> list[Difference]:
        return [d for kind in KINDS for d in self.of_kind(kind)]


@dataclass
class Report:
    tables: list[TableReport]

    @property
    def exceeds_tolerance(self) -> bool:
        return any(table.exceeds_tolerance for table in self.tables)

    def summary(self) -> list[dict]:
        """Per table, the counts (what a rehearsal keeps of the comparison run after it)."""
        return [{"table": t.name, "source_rows": t.source_rows, "target_rows": t.target_rows, **t.counts,
                 "differences": t.differences, "tolerance": t.tolerance} for t in self.tables]

    def summary_lines(self, samples: int) -> list[str]:
        """The report as text: a line per table, then up to `samples` differences of each kind."""
        lines = []
        for table in self.tables:
            verdict = "over tolerance" if table.exceeds_tolerance else "within tolerance"
            lines.append(f"{table.name}: source {table.source_rows} rows, target {table.target_rows} rows; "
                         f"{table.counts[MISSING]} missing, {table.counts[EXTRA]} extra, "
                         f"{table.counts[CHANGED]} changed ({verdict}: {table.tolerance} allowed)")
            for kind in KINDS:
                for difference in table.of_kind(kind)[:samples]:
                    lines.append("  " + describe(table, difference))
        return lines

    def rows(self):
        """The full list, one row per kept difference, for a spreadsheet under `HEADER`."""
        for table in self.tables:
            for d in table.all_differences():
                yield (table.name, KIND_WORDS[d.kind], _joined(d.key), ", ".join(d.columns),
                       _joined(d.source), _joined(d.target))


HEADER = ("table", "difference", "key", "columns", "source values", "target values")


def describe(table: TableReport, d: Difference) -> str:
    if d.kind != CHANGED:
        return f"{KIND_WORDS[d.kind]}: key {_joined(d.key)}"
    parts = [f"{name} {a!r} -> {b!r}" for name, a, b in zip(table.columns, d.source, d.target, strict=True)
             if a != b]
    return f"changed: key {_joined(d.key)}: " + "; ".join(parts)


def _joined(values) -> str:
    return "" if values is None else " | ".join("NULL" if v is None else v for v in values)
