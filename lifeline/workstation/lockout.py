"""The supervisor's emergency PIN, guarded against guessing: after `TRIES` wrong PINs within
`WINDOW` the station takes no PIN at all for `LOCKED_FOR` (whoever types it).

    lockout.check(station)                        # refused (field "pin") while locked
    ... the PIN checked (web/access.supervisor) ...
    lockout.failed(station, staff_no)             # a wrong try, recorded; locks at the 5th

Recorded in the journal, not in a log of the station's own: a `pin_refused` event per wrong
try (naming the staff number typed) and a `pin_locked` event with the end of the lockout.
Why the journal: it is the record that travels to the server (merge-back and the audit after
recovery), so IT sees who tried to declare downtime and when; it is shared by every process
serving the station and survives a restart, so the count is never lost or kept twice; and it
is tamper-evident (hash-chained). The cost stays bounded: at most `TRIES` + 1 events per
lockout period, since tries while locked check nothing and record nothing (the `pin_locked`
event already says the station was shut for that time).

Invariants: the count is read from the journal on each try (no state elsewhere); a wrong try
counts only within `WINDOW` of now, after the last lockout began and after the last mode a
PIN declared (a right PIN starts the count afresh). Time is the journal's clock (injected).
"""
from datetime import datetime, timedelta

from lifeline.his.wording import gettext as _
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.station import Station

TRIES = 5
WINDOW = timedelta(minutes=15)
LOCKED_FOR = timedelta(minutes=15)
REFUSED, LOCKED = "pin_refused", "pin_locked"


def locked_until(station: Station) -> datetime | None:
    """When the lockout in force ends, or None when the station takes PINs."""
    row = station.one("SELECT json_extract(payload, '$.until') FROM journal WHERE kind = ? ORDER BY seq DESC LIMIT 1",
                      (LOCKED,))
    if row is None:
        return None
    until = datetime.fromisoformat(row[0])
    return until if station.journal.clock() < until else None


def check(station: Station):
    """Refused, naming the PIN, while the station is locked."""
    until = locked_until(station)
    if until is not None:
        raise StationRefused("pin", _locked_message(until - station.journal.clock()))


def failed(station: Station, staff_no: str, why: str) -> StationRefused:
    """Record a wrong try (and the lockout, when it is the TRIES-th within WINDOW); the refusal
    to show beside the PIN, `why` followed by the tries left or the lockout's end."""
    now = station.journal.clock()
    with station.journal.transaction() as tx:
        start = tx.db.execute(
            "SELECT coalesce(max(seq), 0) FROM journal WHERE kind = ? OR (kind = 'mode_changed' "
            "AND json_extract(payload, '$.how') = 'pin')", (LOCKED,)).fetchone()[0]
        recent = [datetime.fromisoformat(at) for (at,) in tx.db.execute(
            "SELECT recorded_at FROM journal WHERE kind = ? AND seq > ?", (REFUSED, start))]
        tries = sum(1 for at in recent if now - at < WINDOW) + 1
        who = str(staff_no or "").strip()[:40] or "?"
        tx.record(REFUSED, who, {"staff_no": who, "tries": tries})
        if tries >= TRIES:
            until = now + LOCKED_FOR
            tx.record(LOCKED, who, {"until": until.isoformat(), "tries": tries})
            return StationRefused("pin", _("%(why)s. %(locked)s") % {"why": why,
                                                                      "locked": _locked_message(LOCKED_FOR)})
    return StationRefused("pin", _("%(why)s. %(left)d tries left before the station takes no PIN for %(minutes)d "
                                   "minutes.") % {"why": why, "left": TRIES - tries, "minutes": _minutes(LOCKED_FOR)})


def _minutes(span: timedelta) -> int:
    return -int(-span.total_seconds() // 60)  # rounded up: "1 minute" until the last second


def _locked_message(left: timedelta) -> str:
    return _("%(tries)d wrong emergency PINs within %(window)d minutes: the station takes no PIN for another "
             "%(minutes)d minutes. Every try is recorded in the journal.") % {
        "tries": TRIES, "window": _minutes(WINDOW), "minutes": _minutes(left)}
