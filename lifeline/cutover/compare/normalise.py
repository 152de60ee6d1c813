"""Values as compared: both sides' values turned into one canonical text, so that a DECIMAL(12,4)
on MariaDB equals a numeric on PostgreSQL, a naive DATETIME in Beijing time equals a
timestamptz, and '张三 ' equals '张三' when the column says `trim`.

Each normalised value is text or None; a row is a tuple of them, hashed to 64 bits. The same
column spec gives the same function on both sides, so equal meanings give equal texts.
"""
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from lifeline.cutover.compare.spec import Column

Normaliser = Callable[[object], str | None]
HASH_MASK = 2**64 - 1
TIME_CUTS = {"second": {"microsecond": 0}, "minute": {"second": 0, "microsecond": 0}}


def plain(value) -> str | None:
    """A value's canonical text without a column rule: numbers by value (1.50 == 1.5 == 1.5e0),
    booleans as 0/1 (MariaDB has no boolean), bytes in hex, times in ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _number_text(Decimal(repr(value)) if isinstance(value, float) else value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _number_text(number: Decimal) -> str:
    if not number.is_finite():
        return str(number)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def normaliser(column: Column) -> Normaliser:
    """The function that turns one side's value of `column` into its canonical text."""
    if column.decimal is not None:
        return _decimal(column.decimal)
    if column.time is not None:
        return _time(column.time, ZoneInfo(column.zone))
    if column.trim or column.case or column.blank_as_null:
        return _text(column)
    return plain


def _decimal(places: int) -> Normaliser:
    quantum = Decimal(1).scaleb(-places)

    def normalise(value):
        if value is None:
            return None
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
            return _number_text(number.quantize(quantum, rounding=ROUND_HALF_UP))
        except InvalidOperation:
            return f"not a number: {value}"

    return normalise


def _time(precision: str, zone: ZoneInfo) -> Normaliser:
    def normalise(value):
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                return f"not a time: {value}"
        if not isinstance(value, datetime):  # a date: a day is a day in every zone
            return plain(value)
        moment = (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
        if precision == "day":
            return moment.date().isoformat()
        return moment.replace(**TIME_CUTS[precision]).strftime("%Y-%m-%dT%H:%M:%SZ")

    return normalise


def _text(column: Column) -> Normaliser:
    def normalise(value):
        text = plain(value)
        if text is None:
            return None
        if column.trim:
            text = text.strip()
        if column.case:
            text = text.lower() if column.case == "lower" else text.upper()
        return None if column.blank_as_null and text == "" else text

    return normalise


def row_hash(values: tuple) -> int:
    """A normalised row's 64-bit hash. Python's own tuple hash: salted per process, which is
    enough because both sides' summaries are made and compared in one process (and several
    times faster than a cryptographic digest of the joined texts)."""
    return hash(values) & HASH_MASK
