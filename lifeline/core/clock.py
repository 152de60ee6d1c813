"""The one clock of Lifeline.

Everything that depends on time asks `clock.now()`. Tests freeze and jump it
(`clock.freeze(...)`, `clock.advance(minutes=30)`) instead of sleeping.
"""
from datetime import datetime, timedelta

from django.utils import timezone

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else timezone.now()


def freeze(at: datetime | None = None) -> datetime:
    global _frozen
    _frozen = at or timezone.now()
    return _frozen


def advance(**delta) -> datetime:
    """Jump a frozen clock forward, e.g. advance(minutes=30)."""
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock; call freeze() first")
    return freeze(_frozen + timedelta(**delta))


def unfreeze() -> None:
    global _frozen
    _frozen = None
