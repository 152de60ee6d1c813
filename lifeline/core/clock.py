"""The one clock of Lifeline.

Everything that depends on time asks `clock.now()`. Tests freeze and jump it
(`clock.freeze(...)`, `clock.advance(minutes=30)`) instead of sleeping.

LIFELINE_CLOCK_OFFSET_SECONDS (default 0) shifts the running clock of a whole process by
that many seconds. Tests set it for a `lifeline worker` subprocess, which cannot share the
test's frozen clock, to make it live at T+30 min; never set it in production.

Django-free (aware UTC datetimes, as Django's timezone.now() with USE_TZ): the HIS side, the
package format and the emergency workstation use it too.
"""
import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None
_offset = timedelta(seconds=float(os.environ.get("LIFELINE_CLOCK_OFFSET_SECONDS", "0")))


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC) + _offset


def freeze(at: datetime | None = None) -> datetime:
    global _frozen
    _frozen = at or datetime.now(UTC)
    return _frozen


def advance(**delta) -> datetime:
    """Jump a frozen clock forward, e.g. advance(minutes=30)."""
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock; call freeze() first")
    return freeze(_frozen + timedelta(**delta))


def unfreeze() -> None:
    global _frozen
    _frozen = None


@contextmanager
def restored():
    """Inside the block the clock may be frozen and jumped; after it the clock is as it was before
    (running, or frozen where a test froze it), however the block ends."""
    global _frozen
    before = _frozen
    try:
        yield
    finally:
        _frozen = before
