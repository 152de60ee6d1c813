"""Number leases (号段) granted to stations: `renew(station, held, remaining, now)`.

Invariants:
- Ranges of a kind never overlap, across stations: each is allocated by
  `workstation.leases.next_range` over every lease of that kind ever recorded, inside a
  transaction holding that kind's LeaseLock row (SELECT … FOR UPDATE; on SQLite the IMMEDIATE
  transaction serialises writers), and (kind, first) is unique in the table besides.
- A station gets a new range of a kind only when it has fewer than LOW_WATER numbers of it left
  and holds every lease of that kind granted to it already: a renewal whose answer was lost is
  answered again with the lease granted then, not with another one.
- Every lease is recorded in the audit log, in the station's name.
"""
from django.db import transaction

from lifeline.core.actor import acting_as
from lifeline.stations.models import LeaseLock, NumberLease, Station
from lifeline.workstation import leases
from lifeline.workstation.numbering import LOW_WATER

SIZE = 5_000  # numbers per range: several days of one desk's visits or charges
# The HIS's next number of each kind is not read from the HIS yet: the plan's offset then keeps
# the station's numbers clear of numbers the HIS issues (seed 003: +100,000).
HIS_NEXT = 1


def renew(station: Station, held: set[str], remaining: dict[str, int], now) -> list[NumberLease]:
    """Grant a range of each kind the station runs low on; returns all the station's leases."""
    for kind in leases.KINDS:
        if remaining.get(kind, 0) < LOW_WATER and _all_held(station, kind, held):
            grant(station, kind, now)
    return list(station.leases.order_by("kind", "first"))


def _all_held(station: Station, kind: str, held: set[str]) -> bool:
    return all(lease.lease_id in held for lease in station.leases.filter(kind=kind))


def grant(station: Station, kind: str, now, size: int = SIZE) -> NumberLease:
    """A new range of `kind` for `station`, overlapping no range leased before."""
    LeaseLock.objects.get_or_create(kind=kind)
    with transaction.atomic():
        LeaseLock.objects.select_for_update().get(kind=kind)
        existing = [leases.Lease(lease.lease_id, lease.kind, lease.first, lease.last)
                    for lease in NumberLease.objects.filter(kind=kind)]
        first, last = leases.next_range(existing, kind, size, HIS_NEXT)
        with acting_as(f"station:{station.name}"[:150]):
            return NumberLease.objects.create(station=station, kind=kind, first=first, last=last, leased_at=now)
