"""The supervisor's emergency PIN locks after 5 wrong tries within 15 minutes, for 15 minutes (the
journal's clock, moved by hand); every wrong try and the lockout are events in the journal."""
from datetime import timedelta

import pytest

from lifeline.workstation import lockout, modes
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import verify


def _events(station, *kinds):
    marks = ",".join("?" * len(kinds))
    return station.db.execute(f"SELECT kind, operator, payload FROM journal WHERE kind IN ({marks}) ORDER BY seq",
                              kinds).fetchall()


def _wrong(station, staff_no="0901"):
    lockout.check(station)
    return lockout.failed(station, staff_no, "not a supervisor's staff number and emergency PIN")


def test_five_wrong_pins_lock_the_station_for_fifteen_minutes(station, station_clock):
    for left in (4, 3, 2, 1):
        refusal = _wrong(station, "0901" if left % 2 else "9999")
        assert refusal.field == "pin" and f"{left} tries left" in refusal.message
        station_clock.advance(minutes=2)
    locked = _wrong(station)
    assert locked.field == "pin" and "no PIN for another 15 minutes" in locked.message
    events = _events(station, lockout.REFUSED, lockout.LOCKED)
    assert [(kind, who) for kind, who, _ in events] == [
        ("pin_refused", "9999"), ("pin_refused", "0901"), ("pin_refused", "9999"), ("pin_refused", "0901"),
        ("pin_refused", "0901"), ("pin_locked", "0901")]
    assert lockout.locked_until(station) == station_clock.now + timedelta(minutes=15)

    count = station.journal.count()
    station_clock.advance(minutes=14, seconds=30)
    with pytest.raises(StationRefused) as refused:  # even the right PIN is not checked now
        lockout.check(station)
    assert refused.value.field == "pin" and "another 1 minutes" in refused.value.message
    assert station.journal.count() == count  # tries while locked check nothing, record nothing

    station_clock.advance(seconds=30)
    lockout.check(station)  # the lockout is over
    assert "4 tries left" in _wrong(station).message  # and the count starts afresh
    assert verify(station.db).ok


def test_wrong_tries_older_than_fifteen_minutes_do_not_count(station, station_clock):
    for _ in range(4):
        _wrong(station)
    station_clock.advance(minutes=15)
    assert "4 tries left" in _wrong(station).message
    assert lockout.locked_until(station) is None


def test_a_right_pin_starts_the_count_afresh(station, station_clock):
    for _ in range(4):
        _wrong(station)
    modes.declare(station, "emergency", "0901", modes.PIN, "HIS down")
    assert "4 tries left" in _wrong(station).message
