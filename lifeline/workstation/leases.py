"""Number leases (号段): the ranges of visit, charge, prescription and temporary-card numbers the
server leases to each station, so numbers issued during a downtime never collide: not between
stations, not with the HIS.

Pure functions, no Django: the server's `stations` app calls `next_range` with the leases it
has recorded and records the answer; the workstation (`numbering`) keeps the leases it holds.
This lives here rather than in the package format because a lease is not base data: it
travels beside a package, per station.

Numbers are the HIS's own sequences plus the plan's offset (seed 003: +100,000), so they read
like HIS numbers and stay clear of the ones the HIS issues until it has issued `offset` more.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from lifeline.his.canonical import NUMBERS

KINDS = NUMBERS  # defined with the canonical model: the HIS mapping names how to read each one
DEFAULT_OFFSET = 100_000


class LeaseRefused(ValueError):
    """The range asked for cannot be leased; the message says why."""


@dataclass(frozen=True)
class Lease:
    """Numbers first..last (both included) of one kind, leased to one station."""

    lease_id: str
    kind: str
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def overlaps(self, other: "Lease") -> bool:
        return self.kind == other.kind and self.first <= other.last and other.first <= self.last


def next_range(existing: Iterable[Lease], kind: str, size: int, his_next: int,
               offset: int = DEFAULT_OFFSET) -> tuple[int, int]:
    """(first, last) of the next range of `size` numbers of `kind`: at or above the HIS's next
    number plus the offset, and above every range of that kind ever leased (to any station,
    returned or not), so it overlaps none of them and no number is used twice."""
    if kind not in KINDS:
        raise LeaseRefused(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if size < 1:
        raise LeaseRefused(f"size: a range holds at least one number, not {size}")
    if his_next < 1 or offset < 0:
        raise LeaseRefused(f"his_next, offset: the HIS's next number is positive and the offset not negative "
                           f"({his_next}, {offset})")
    first = max([his_next + offset, *(lease.last + 1 for lease in existing if lease.kind == kind)])
    return first, first + size - 1
