"""Alarms: how an app below detection raises an alert without importing it."""
import logging

import pytest

from lifeline.core import alarms


@pytest.mark.django_db  # detection's receiver looks for a firing alert to resolve
def test_an_alarm_reaches_its_receivers_with_what_the_app_saw():
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    alarms.alarm.connect(receiver, dispatch_uid="test-receiver")
    try:
        assert alarms.raise_alarm(source="test:x", fingerprint="f", firing=False, summary="x is fine")
    finally:
        alarms.alarm.disconnect(dispatch_uid="test-receiver")
    assert [{k: v for k, v in h.items() if k != "signal"} for h in heard] == [
        {"source": "test:x", "fingerprint": "f", "firing": False, "summary": "x is fine", "labels": {}}]


def test_a_firing_alarm_nobody_receives_is_logged(caplog):
    receivers = alarms.alarm.receivers
    alarms.alarm.receivers = []
    alarms.alarm.sender_receivers_cache.clear()
    try:
        with caplog.at_level(logging.WARNING, logger="lifeline.alarms"):
            assert not alarms.raise_alarm(source="test:x", fingerprint="f", firing=True, summary="x is wrong")
            assert not alarms.raise_alarm(source="test:x", fingerprint="f", firing=False, summary="x is fine")
    finally:
        alarms.alarm.receivers = receivers
        alarms.alarm.sender_receivers_cache.clear()
    assert [r.getMessage() for r in caplog.records] == ["alarm test:x/f has no receiver: x is wrong"]
