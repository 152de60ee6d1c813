"""How an app below detection raises an alert without importing detection.

Apps that watch a condition of their own (continuity: the newest snapshot package is too old)
sit below the detection app, which stores alerts, groups them, silences them and opens
incidents. They say what they see with `raise_alarm` on every check:

    from lifeline.core import alarms

    alarms.raise_alarm(source="continuity:freshness", fingerprint="snapshot-stale", firing=True,
                       summary="The newest snapshot package is 61 minutes old", labels={"package": "p-1"})
    alarms.raise_alarm(source="continuity:freshness", fingerprint="snapshot-stale", firing=False,
                       summary="Snapshot package p-2 is fresh again")

`alarm` is a Django signal; the detection app connects its receiver in its AppConfig.ready()
and turns each alarm into an alert (one per source and fingerprint). A condition that is fine
is reported as not firing on every check: the receiver resolves the alert only while it is
firing, so a healthy condition costs no rows. Without a receiver (detection not installed)
a firing alarm is only logged.
"""
import logging

from django.dispatch import Signal

log = logging.getLogger("lifeline.alarms")

# Sent with source, fingerprint, firing, summary and labels (keyword arguments).
alarm = Signal()


def raise_alarm(*, source: str, fingerprint: str, firing: bool, summary: str, labels: dict | None = None,
                sender=None) -> bool:
    """Report a condition; True when some app received it. A receiver's error is raised."""
    received = alarm.send(sender=sender, source=source, fingerprint=fingerprint, firing=firing, summary=summary,
                          labels=labels or {})
    if not received and firing:
        log.warning("alarm %s/%s has no receiver: %s", source, fingerprint, summary)
    return bool(received)
