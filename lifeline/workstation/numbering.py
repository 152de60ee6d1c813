"""Numbers on the station: visits, charges, prescriptions and temporary cards take the next
number of a range leased to this station (`leases`).

Invariants:
- A number is issued inside the journal transaction that uses it (`issue(tx, kind)`): if the
  transaction rolls back, the number is not used and is issued again next; if it commits, the
  number is in the `issued` table (unique per kind) and in the event.
- Numbers come only from leases held, in order; a lease overlapping one held is refused.
- Fewer than `low_water` numbers left of a kind is a warning (`Supply.low`); none left is a
  refusal naming the kind.
"""
from dataclasses import dataclass

from lifeline.workstation.errors import StationRefused
from lifeline.workstation.leases import KINDS, Lease

LOW_WATER = 200  # numbers left of a kind below which the station warns (a morning's visits at one desk)

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    lease_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    next INTEGER NOT NULL,
    CHECK (first <= next AND next <= last + 1)
);
CREATE TABLE IF NOT EXISTS issued (
    kind TEXT NOT NULL,
    number INTEGER NOT NULL,
    PRIMARY KEY (kind, number)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Supply:
    """How many numbers of a kind the station has left."""

    kind: str
    remaining: int
    low_water: int

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    @property
    def low(self) -> bool:
        return self.remaining < self.low_water


def create(db):
    db.executescript(SCHEMA)


def receive(tx, lease: Lease, operator: str):
    """Hold a lease from the server (recorded as an event)."""
    if lease.kind not in KINDS:
        raise StationRefused("kind", f"{lease.kind!r} is not a kind of number ({', '.join(KINDS)})")
    for row in tx.db.execute("SELECT lease_id, kind, first, last FROM leases WHERE kind = ?", (lease.kind,)):
        held = Lease(*row)
        if held.lease_id == lease.lease_id or held.overlaps(lease):
            raise StationRefused("lease_id", f"lease {lease.lease_id} ({lease.first}-{lease.last}) overlaps lease "
                                             f"{held.lease_id} ({held.first}-{held.last}) held already")
    tx.db.execute("INSERT INTO leases VALUES (?, ?, ?, ?, ?)",
                  (lease.lease_id, lease.kind, lease.first, lease.last, lease.first))
    tx.record("lease_received", operator, {"lease_id": lease.lease_id, "kind": lease.kind,
                                           "first": lease.first, "last": lease.last})


def issue(tx, kind: str) -> int:
    """The next number of `kind`, taken inside the transaction `tx`."""
    row = tx.db.execute("SELECT lease_id, next FROM leases WHERE kind = ? AND next <= last ORDER BY first LIMIT 1",
                        (kind,)).fetchone()
    if row is None:
        raise StationRefused(kind, f"this station's {KINDS[kind]} ({kind} numbers) are used up: renew the "
                                   f"lease from the server, or work on paper until it is renewed")
    lease_id, number = row
    tx.db.execute("UPDATE leases SET next = next + 1 WHERE lease_id = ?", (lease_id,))
    tx.db.execute("INSERT INTO issued VALUES (?, ?)", (kind, number))
    return number


def supply(db, kind: str, low_water: int = LOW_WATER) -> Supply:
    remaining = db.execute("SELECT coalesce(sum(last + 1 - next), 0) FROM leases WHERE kind = ?",
                           (kind,)).fetchone()[0]
    return Supply(kind, remaining, low_water)
