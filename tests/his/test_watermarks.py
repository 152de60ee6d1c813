"""Watermarks kept as JSON between builds come back with their exact type and value, and the
tracker of a read remembers the rows delivered at the newest value."""
import datetime
import json
from decimal import Decimal

import pytest

from lifeline.his import watermarks
from lifeline.his.watermarks import Tracker, Watermark, WatermarkInvalid, row_digest

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
VALUES = [
    datetime.datetime(2026, 5, 1, 8, 30, 15, 123456),
    datetime.datetime(2026, 5, 1, 8, 30, 15, 123456, tzinfo=SHANGHAI),
    datetime.date(2026, 5, 1),
    2 ** 63 - 1,  # a 64-bit row version
    Decimal("1777594215.123450"),
    1777594215.25,
    "2026-05-01 08:30:15.123456",
    bytes.fromhex("00000000000007d1"),  # SQL Server rowversion
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_watermark_survives_json_with_its_type(value):
    mark = Watermark(value, frozenset({"a1", "b2"}))
    back = watermarks.watermark_from_json(json.loads(json.dumps(watermarks.watermark_to_json(mark))))
    assert back == mark and type(back.value) is type(value)
    if isinstance(value, datetime.datetime):
        assert back.value.utcoffset() == value.utcoffset()
    if isinstance(value, Decimal):
        assert str(back.value) == str(value)  # decimal places kept


def test_no_watermark_and_forgotten_rows_survive_json():
    assert watermarks.watermark_from_json(watermarks.watermark_to_json(None)) is None
    mark = Watermark(5, None)
    assert watermarks.watermark_from_json(json.loads(json.dumps(watermarks.watermark_to_json(mark)))) == mark


def test_what_cannot_be_a_watermark_is_refused_clearly():
    with pytest.raises(WatermarkInvalid, match="a watermark of type bool cannot be kept"):
        watermarks.watermark_to_json(Watermark(True))
    with pytest.raises(WatermarkInvalid, match="not a stored watermark: .*'week'"):
        watermarks.watermark_from_json({"type": "week", "value": "18"})
    with pytest.raises(WatermarkInvalid, match="not a stored watermark"):
        watermarks.watermark_from_json({"type": "datetime", "value": "yesterday"})


def test_the_tracker_keeps_the_newest_value_and_the_rows_delivered_at_it():
    tracker = Tracker(None)
    tracker.watch([3, 7, None, 7], [("a",), ("b",), ("c",), None])  # the last row was bad
    tracker.watch([5, 6], [("d",), ("e",)])
    assert tracker.mark == Watermark(7, frozenset({row_digest(("b",))}))
    tracker.watch([9], [("f",)])
    assert tracker.mark == Watermark(9, frozenset({row_digest(("f",))}))


def test_rows_delivered_at_the_watermark_are_dropped_when_they_come_again_unchanged():
    since = Watermark(7, frozenset({row_digest(("b",))}))
    tracker = Tracker(since)
    rows = tracker.watch([7, 7, 8], [("b",), ("b changed",), ("new",)])
    assert rows == [None, ("b changed",), ("new",)]
    assert tracker.mark == Watermark(8, frozenset({row_digest(("new",))}))
    assert Tracker(since).watch([7], [("c",)]) == [("c",)]
    nothing = Tracker(since)
    assert nothing.watch([7], [("b",)]) == [None] and nothing.mark == since


def test_too_many_rows_at_one_value_are_not_remembered(monkeypatch):
    monkeypatch.setattr(watermarks, "SEEN_LIMIT", 3)
    tracker = Tracker(None)
    tracker.watch([1] * 4, [(n,) for n in range(4)])
    assert tracker.mark == Watermark(1, None)
    again = Tracker(tracker.mark)
    assert again.watch([1, 1], [(0,), (1,)]) == [(0,), (1,)], "not remembered: delivered again"
