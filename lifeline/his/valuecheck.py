"""Checking the values of a HIS's real rows against the canonical model, without building
(`lifeline his check MAPPING --connect --sample N | --all`).

Each entity's query is read in one consistent snapshot, as a build reads it (the first N rows,
or all), and every row goes through the same checks with the mapping's rules; nothing stops at a
bad row. Per entity it says how many rows were read, the problems per field with what a build
would do about them (fail, leave the row out, empty the value), the first problems, the rows
stamped beyond the HIS's clock and the rows without a watermark value, and whether a build
would fail or be refused by the entity's limits (shares of the rows read).
"""
from collections import Counter
from dataclasses import dataclass, field

from lifeline.his.canonical import ENTITIES, FAILED, NULLED, SKIPPED, RowProblem
from lifeline.his.mapping import Mapping
from lifeline.his.reader import Ahead, HisError, HisSource


@dataclass
class EntityCheck:
    name: str
    rows: int = 0  # rows read, good or bad
    counts: Counter = field(default_factory=Counter)  # (field, outcome) -> problems
    examples: list[RowProblem] = field(default_factory=list)  # the first problems, in the order read
    null_marks: int = 0
    ahead: Ahead | None = None
    error: str = ""
    failed_rows: int = 0
    skipped_rows: int = 0
    nulled_rows: int = 0
    limits_broken: list[str] = field(default_factory=list)  # the limits a build would break

    @property
    def fails(self) -> bool:
        return bool(self.error or self.failed_rows)

    @property
    def refused(self) -> bool:
        return bool(self.limits_broken)


def check_values(mapping: Mapping, sample: int | None, shown: int = 20) -> list[EntityCheck]:
    """Every entity of the mapping checked on its first `sample` rows (None: all of them)."""
    source = HisSource(mapping)
    found = []
    with source.snapshot() as snap:
        for name in ENTITIES:
            if name not in mapping.entities:
                continue
            check = EntityCheck(name)
            found.append(check)
            read = snap.read(name, limit=sample, report_all=True)
            try:
                with snap.connection.begin_nested():  # a failing query must not end the transaction
                    for batch in read.batches():
                        check.rows += len(batch)
            except HisError as exc:
                check.error = str(exc)
                continue
            problems = read.failed + read.skipped + read.nulled
            check.counts.update((p.field, p.outcome) for p in problems)
            check.examples = problems[:shown]
            check.failed_rows = len({p.key for p in read.failed})
            check.skipped_rows = len({p.key for p in read.skipped})
            check.nulled_rows = len({p.key for p in read.nulled})
            check.rows += check.failed_rows + check.skipped_rows
            check.null_marks, check.ahead = read.null_marks, read.ahead
            limits = mapping.entities[name].limits
            for count, limit in ((check.skipped_rows, "max_skipped"), (check.nulled_rows, "max_nulled")):
                if count > limits.allowed(limit).of(check.rows):
                    check.limits_broken.append(f"{limit}: {limits.allowed(limit)}")
            if sample is None and check.rows - check.failed_rows - check.skipped_rows < limits.min_rows:
                check.limits_broken.append(f"min_rows: {limits.min_rows}")
    return found


OUTCOMES = (FAILED, SKIPPED, NULLED)
