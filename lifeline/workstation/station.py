"""A station at work: its journal, the base data it holds, and who is at the desk.

    station = Station.open(directory, key, in_force, clock)
    with station.act(operator, policies.CHARGE) as tx:  # refuses a role, a credential, a mode first
        ...                             # read base data, take numbers, write rows, tx.record(...)

DIR/station.sqlite3 is the journal with the station's own rows (visits, charges, …), and
DIR/base.sqlite3 the base data of the package chain in force, attached read-only as `base`;
both encrypted with the station's key (`store`).

Every desk action (registration, charging, prescriptions, pharmacy) checks all its input inside
`act` before it writes: a refusal raises StationRefused naming the field, and the transaction
rolls back, so nothing of it reaches the journal.
"""
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lifeline.his.wording import gettext as _
from lifeline.package import container
from lifeline.package.tables import PackageInvalid
from lifeline.workstation import numbering, policies, records, search, store
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import READY, InForce, Journal
from lifeline.workstation.leases import KINDS

JOURNAL, BASE = "station.sqlite3", "base.sqlite3"
FROM_PACKAGE = object()  # Station.open's `merged`: what the package in force says


@dataclass(frozen=True)
class Operator:
    """A person at the desk with an emergency credential (it travels in the package)."""

    code: str  # staff number
    name: str
    role: str
    valid_until: datetime


class Station:
    """The journal with the base data attached (`base.`). What local stock is rebased on (`stock`):
    `as_of`, when the base data read the HIS (the package's built_at), None if unknown; `merged`,
    this station's sequence numbers the HIS held merged then (ascending [first, last] ranges, from
    the package's manifest), None when the package does not say (an older package)."""

    def __init__(self, journal: Journal, low_water: int = numbering.LOW_WATER, as_of: datetime | None = None,
                 merged: list[list[int]] | None = None):
        self.journal, self.db, self.low_water, self.as_of = journal, journal.db, low_water, as_of
        self.merged = merged

    @classmethod
    def open(cls, directory, key: bytes, in_force: InForce, clock: Callable[[], datetime],
             low_water: int = numbering.LOW_WATER, as_of: datetime | None = None,
             merged: list[list[int]] | None | object = FROM_PACKAGE) -> "Station":
        """`merged` (see the class) defaults to what the package in force says of this station
        (`held_merged`)."""
        directory = Path(directory)
        if merged is FROM_PACKAGE:
            merged = held_merged(directory, in_force.package_id, in_force.station)
        journal = Journal.open(directory / JOURNAL, key, in_force, clock)
        journal.db.execute(f"ATTACH DATABASE ? AS base KEY {store.key_literal(key)}",
                           (f"file:{directory / BASE}?mode=ro",))
        numbering.create(journal.db)
        journal.db.executescript(records.SCHEMA)
        search.register_functions(journal.db)
        return cls(journal, low_water, as_of, merged)

    @contextmanager
    def act(self, operator: Operator, action: str):
        """A journal transaction on behalf of `operator` doing `action` (a policy of `policies`):
        the operator's role must allow it, and the credential be valid now; an emergency
        credential works only in downtime or a drill, never in ready mode."""
        if self.journal.in_force.mode == READY:
            raise StationRefused("", _("the station is ready, not in downtime: lookups only until downtime (or a "
                                       "drill) is declared"))
        if operator.role not in policies.MAY[action]:
            raise StationRefused("operator", _("%(code)s (%(role)s) may not %(action)s at a station") % {
                "code": operator.code, "role": operator.role, "action": action.replace("_", " ")})
        if self.journal.clock() > operator.valid_until:
            raise StationRefused("operator", _("the emergency credential of %(code)s expired at %(until)s; "
                                               "a supervisor renews it") % {"code": operator.code,
                                                                          "until": operator.valid_until})
        with self.journal.transaction() as tx:
            yield tx

    def supplies(self) -> list[numbering.Supply]:
        """Numbers left of every kind; a page warns of those `low` before they run out."""
        return [numbering.supply(self.db, kind, self.low_water) for kind in KINDS]

    def one(self, sql: str, params=()):
        return self.db.execute(sql, params).fetchone()

    def close(self):
        self.journal.close()


def held_merged(directory: Path, package_id: str, code: str) -> list[list[int]] | None:
    """The ranges of this station's events (`code`: its name in its events, which the server
    registered it under) the HIS held merged when the package `package_id` read it: holding.json's
    `merged` if the puller wrote it there, else the manifest of DIR/packages/<package_id>.llsnap
    (read without the key: the chain was verified when applied). [] when nothing of this station
    was merged; None when the package does not say (an older package, or its file is gone)."""
    try:
        holding = json.loads((directory / "holding.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        holding = {}
    merged = holding.get("merged") if holding.get("applied") == package_id else None
    if merged is None:
        try:
            merged = container.open_package(directory / "packages" / f"{package_id}{container.SUFFIX}") \
                .manifest.get("merged")
        except PackageInvalid:
            return None
    if not isinstance(merged, dict):
        return None
    return sorted([int(first), int(last)] for first, last in merged.get(code, []))


def positive(value, field: str) -> Decimal:
    """A quantity: a finite decimal above zero."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise StationRefused(field, _("%(value)s is not a number") % {"value": value}) from None
    if not number.is_finite() or number <= 0:
        raise StationRefused(field, _("must be more than zero, not %(value)s") % {"value": value})
    return number


def patient(station: Station, card_no: str, field: str = "card_no") -> dict:
    """The patient with this card: from the base data, or a card issued on this station."""
    row = station.one("SELECT card_no, name, insurance_no FROM base.patient WHERE card_no = ? "
                      "UNION ALL SELECT card_no, name, insurance_no FROM new_patients WHERE card_no = ?",
                      (card_no, card_no))
    if row is None:
        raise StationRefused(field, _("card number %(card)s is not in the snapshot nor issued on this station")
                             % {"card": card_no})
    return {"card_no": row[0], "name": row[1], "insurance_no": row[2]}
