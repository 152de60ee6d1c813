"""The HIS's next numbers as the snapshot builds read them (the mapping's `sequences`): where the
number leases of emergency workstations start, plus the offset.

    found = numbers.his_numbers()
    found.named             # kinds the mapping names (of the newest build that read its mapping)
    found.known["visit"]    # Known(next=812346, package_id=..., read_at=...): the newest value read

Invariants: a value is only ever one a build read from the HIS, in the same transaction as its
data (builder.py); the newest build that read a kind gives it. `named` is None until a build
has read its mapping, and empty when that mapping has no `sequences` section: then leases start
at 1 plus the offset, as before the HIS's numbers could be read (the continuity page warns).
"""
from dataclasses import dataclass
from datetime import datetime

from lifeline.snapshots.models import SnapshotBuild


@dataclass(frozen=True)
class Known:
    next: int  # the HIS's next number of the kind
    package_id: str  # of the build that read it
    read_at: datetime  # when that build started reading


@dataclass(frozen=True)
class HisNumbers:
    named: frozenset[str] | None
    known: dict[str, Known]

    @property
    def unread(self) -> list[str]:
        """Kinds the mapping names whose number no build has read yet (leases of them are refused)."""
        return sorted(set(self.named or ()) - set(self.known))


def his_numbers() -> HisNumbers:
    builds = SnapshotBuild.objects.order_by("-started_at", "-id")
    newest = builds.filter(his_numbers__isnull=False).only("his_numbers").first()
    named = frozenset(newest.his_numbers) if newest else None
    known = {}
    for kind in sorted(named or ()):
        read = builds.filter(his_numbers__has_key=kind).exclude(**{f"his_numbers__{kind}": None}) \
            .only("his_numbers", "package_id", "started_at").first()
        if read is not None:
            known[kind] = Known(read.his_numbers[kind], read.package_id, read.started_at)
    return HisNumbers(named, known)
