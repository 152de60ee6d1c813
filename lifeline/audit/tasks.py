"""The audit log's daily checkpoint: verify the chain, then anchor its head outside the database."""
import logging
import threading

from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from lifeline.audit import services
from lifeline.core import alarms
from lifeline.core.actor import acting_as
from lifeline.core.worker import job

log = logging.getLogger("lifeline.audit")
ALARM = {"source": "audit:chain", "fingerprint": "audit-chain-broken"}
_running = threading.Lock()


@job(every=300)
def anchor_audit_chain(now):
    """When an anchor is due (LIFELINE_AUDIT_ANCHOR_MINUTES, and at a worker's first run on a host
    that has none), verify the chain on a thread (it reads every entry; the timers must not wait)
    and anchor its head; a broken chain raises an alarm and is not anchored."""
    close_old_connections()
    if not services.anchor_due(now) or not _running.acquire(blocking=False):
        return None
    thread = threading.Thread(target=_checkpoint, args=(now,), name="audit-anchor", daemon=True)
    thread.start()
    return thread


def _checkpoint(now):
    try:
        with acting_as("worker"):
            anchor = services.checkpoint(now)
        if anchor:
            log.info("audit chain anchored at entry %s", anchor.seq)
        alarms.raise_alarm(firing=False, summary=_("The audit log verifies again"), **ALARM)
    except services.ChainBroken as exc:
        log.error("%s", exc)
        summary = _("The audit log does not verify at entry %(entry)s: %(reason)s") % {
            "entry": exc.result.broken_seq, "reason": exc.result.reason}
        alarms.raise_alarm(firing=True, summary=summary, labels={"entry": str(exc.result.broken_seq)}, **ALARM)
    except Exception:
        log.exception("audit checkpoint failed")
    finally:
        _running.release()
        connection.close()
