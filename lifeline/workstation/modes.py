"""The station's mode, kept in its journal: ready (lookups only), downtime (应急, EMERGENCY) or
drill (演练). A change is a `mode_changed` event naming who declared it and how: `server` (the
command dashboard or the incident, heard on the station's next contact: `declare(…, how=SERVER)`
is the hook the puller calls) or `pin` (a supervisor's emergency credential on the station, with
no network). The mode in force is the last one declared; a station never told is ready.

Before the first desk work in a mode, at each price version, a cashier confirms the price version
with IT (seed 003 A): a `prices_confirmed` event.
"""
from dataclasses import replace

from lifeline.workstation.journal import DRILL, EMERGENCY, READY
from lifeline.workstation.station import Station

MODES = (READY, EMERGENCY, DRILL)
SERVER, PIN = "server", "pin"


def current(station: Station) -> str:
    row = station.one("SELECT json_extract(payload, '$.mode') FROM journal WHERE kind = 'mode_changed' "
                      "ORDER BY seq DESC LIMIT 1")
    return row[0] if row else READY


def follow(station: Station) -> str:
    """Put the journal's mode in force (another process of the same station may have changed it)."""
    mode = current(station)
    if station.journal.in_force.mode != mode:
        station.journal.in_force = replace(station.journal.in_force, mode=mode)
    return mode


def declare(station: Station, mode: str, operator: str, how: str, reason: str = ""):
    """Change the mode, recorded under the new mode. `operator`: the supervisor's code, or the
    server's name for a declaration it sent."""
    if mode not in MODES:
        raise ValueError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    station.journal.in_force = replace(station.journal.in_force, mode=mode)
    with station.journal.transaction() as tx:
        return tx.record("mode_changed", operator, {"mode": mode, "how": how, "reason": reason})


def prices_confirmed(station: Station) -> bool:
    """Whether a cashier confirmed the price version in force since the mode was last declared."""
    in_force = station.journal.in_force
    row = station.one("SELECT 1 FROM journal WHERE kind = 'prices_confirmed' AND price_version = ? AND mode = ? "
                      "AND seq > coalesce((SELECT max(seq) FROM journal WHERE kind = 'mode_changed'), 0)",
                      (in_force.price_version, in_force.mode))
    return row is not None


def confirm_prices(station: Station, operator: str):
    with station.journal.transaction() as tx:
        return tx.record("prices_confirmed", operator, {"price_version": station.journal.in_force.price_version,
                                                        "package_id": station.journal.in_force.package_id})
