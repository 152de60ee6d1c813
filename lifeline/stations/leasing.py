"""Number leases (号段) granted to stations: `renew(station, held, remaining, now)`.

Invariants:
- Ranges of a kind never overlap, across stations: each is allocated by
  `workstation.leases.next_range` over every lease of that kind ever recorded, inside a
  transaction holding that kind's LeaseLock row (SELECT … FOR UPDATE; on SQLite the IMMEDIATE
  transaction serialises writers), and (kind, first) is unique in the table besides.
- A range starts at or above the HIS's next number of its kind, as the newest snapshot build
  read it (snapshots.numbers), plus LIFELINE_STATION_NUMBER_OFFSET (seed 003: +100,000). When
  the mapping names a kind's sequence but no build has read it yet, a range of it is refused
  naming the kind (a guess could collide with the HIS's numbers); when the mapping names no
  sequences, ranges start at UNREAD + the offset (the continuity page warns).
- A station gets a new range of a kind only when it has fewer than LOW_WATER numbers of it left
  and holds every lease of that kind granted to it already: a renewal whose answer was lost is
  answered again with the lease granted then, not with another one.
- Every lease is recorded in the audit log, in the station's name.
"""
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core.actor import acting_as
from lifeline.core.errors import Refused
from lifeline.snapshots import numbers
from lifeline.stations.models import LeaseLock, NumberLease, Station
from lifeline.workstation import leases
from lifeline.workstation.numbering import LOW_WATER

SIZE = 5_000  # numbers per range: several days of one desk's visits or charges
# The HIS's next number taken for a kind whose sequence the mapping does not name: only the
# offset then keeps the station's numbers clear of the HIS's.
UNREAD = 1


def renew(station: Station, held: set[str], remaining: dict[str, int], now) -> list[NumberLease]:
    """Grant a range of each kind the station runs low on; returns all the station's leases.
    Refused (409) naming each kind whose HIS number is not known yet, before any range is granted."""
    low = [kind for kind in leases.KINDS if remaining.get(kind, 0) < LOW_WATER and _all_held(station, kind, held)]
    starts, unread = {}, []
    for kind in low:
        try:
            starts[kind] = his_next(kind)
        except Refused as refused:
            unread += refused.problems
    if unread:
        raise Refused.of(unread, status=409)
    for kind in low:
        grant(station, kind, now, start=starts[kind])
    return list(station.leases.order_by("kind", "first"))


def _all_held(station: Station, kind: str, held: set[str]) -> bool:
    return all(lease.lease_id in held for lease in station.leases.filter(kind=kind))


def his_next(kind: str) -> int:
    """Where ranges of `kind` start, before the offset; Refused naming the kind when the mapping
    names its sequence and no build has read it."""
    found = numbers.his_numbers()
    if kind in found.known:
        return found.known[kind].next
    if kind in (found.named or ()):
        raise Refused(f"remaining.{kind}", _(
            "No number range of %(kind)s (%(name)s) can be leased yet: the HIS mapping names its sequence, but "
            "no snapshot build has read it from the HIS; build a snapshot package first") % {
            "kind": kind, "name": leases.KINDS[kind]}, status=409)
    return UNREAD


def grant(station: Station, kind: str, now, size: int = SIZE, start: int | None = None) -> NumberLease:
    """A new range of `kind` for `station`, overlapping no range leased before, at or above
    `start` (the HIS's next number, his_next(kind) if not given) plus the offset."""
    start = his_next(kind) if start is None else start
    LeaseLock.objects.get_or_create(kind=kind)
    with transaction.atomic():
        LeaseLock.objects.select_for_update().get(kind=kind)
        existing = [leases.Lease(lease.lease_id, lease.kind, lease.first, lease.last)
                    for lease in NumberLease.objects.filter(kind=kind)]
        first, last = leases.next_range(existing, kind, size, start, settings.STATION_NUMBER_OFFSET)
        with acting_as(f"station:{station.name}"[:150]):
            return NumberLease.objects.create(station=station, kind=kind, first=first, last=last, leased_at=now)
