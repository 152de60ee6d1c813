"""What the pages, the API and the worker do with backups: the catalogue with its 3-2-1 view and
achieved RPO, claiming due restore tests, and saving what people change (validated, audited by
the save itself).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lifeline.backups import restore
from lifeline.backups.models import BackupCopy, Destination, RestoreRun, RestoreTest, State, System
from lifeline.core import clock
from lifeline.core.errors import Refused, refusal

# 3-2-1: three copies, on two kinds of media, one of them off-site.
COPIES, MEDIA, OFFSITE = 3, 2, 1


@dataclass
class SystemView:
    """A system as the catalogue shows it."""

    system: System
    jobs: list
    copies: int
    media: int
    offsite: int
    newest_good: datetime | None
    achieved_rpo: timedelta | None

    @property
    def three_two_one(self) -> bool:
        return self.copies >= COPIES and self.media >= MEDIA and self.offsite >= OFFSITE

    @property
    def rpo_met(self) -> bool:
        return self.achieved_rpo is not None and self.achieved_rpo <= timedelta(minutes=self.system.rpo_minutes)

    @property
    def achieved_rpo_minutes(self) -> int | None:
        return None if self.achieved_rpo is None else int(self.achieved_rpo.total_seconds() // 60)

    @property
    def missed(self) -> list:
        return [j for j in self.jobs if j.state in (State.MISSED, State.SHRUNK, State.BAD_CHECKSUM)]


def _newest_good(system: System, destinations: list[Destination]) -> datetime | None:
    """The newest copy that is not shrunk, not bad and not failed in a restore; failing scans, a heartbeat's time."""
    copies = BackupCopy.objects.filter(destination__in=destinations).exclude(
        Q(shrunk=True) | Q(checksum=BackupCopy.Checksum.BAD) | Q(proof=BackupCopy.Proof.FAILED))
    newest = copies.order_by("-modified_at").values_list("modified_at", flat=True).first()
    beats = [j.heartbeat.last_heartbeat_at for j in system.jobs.all()
             if j.enabled and j.heartbeat_id and j.heartbeat.last_heartbeat_at]
    return max([t for t in [newest, *beats] if t], default=None)


def system_view(system: System, now: datetime) -> SystemView:
    jobs = [j for j in system.jobs.all() if j.enabled]
    destinations = [d for j in jobs for d in j.destinations.all()]
    newest = _newest_good(system, destinations)
    return SystemView(system=system, jobs=jobs, copies=len(destinations), media=len({d.kind for d in destinations}),
                      offsite=sum(1 for d in destinations if d.offsite), newest_good=newest,
                      achieved_rpo=None if newest is None else max(now - newest, timedelta(0)))


def catalogue(now: datetime | None = None) -> list[SystemView]:
    now = now or clock.now()
    systems = System.objects.prefetch_related("jobs__destinations", "jobs__heartbeat")
    return [system_view(s, now) for s in systems]


# --- restore tests in the worker ---------------------------------------------------------------

def claim_due_test(now: datetime) -> RestoreRun | None:
    """The next scheduled restore test that is due, started (its next time moved on first, in the
    same transaction, so two workers never run it twice); None when none is due. A test refused by
    its safety check is recorded as a refused run, not retried every tick."""
    with transaction.atomic():
        test = (RestoreTest.objects.select_for_update(skip_locked=True).filter(enabled=True)
                .filter(Q(next_due_at__lte=now) | Q(next_due_at__isnull=True, every_hours__gt=0))
                .order_by("next_due_at", "pk").first())
        if test is None:
            return None
        test.next_due_at = now + timedelta(hours=test.every_hours) if test.every_hours else None
        test.save(update_fields=["next_due_at"])
        try:
            return restore.start(test, "worker")
        except Refused as exc:
            RestoreRun.objects.create(test=test, trigger="worker", status=RestoreRun.Status.REFUSED,
                                      reason=exc.for_people(), started_at=now)
            return None


# A run still "running" this long past its test's timeout was left by a worker that stopped.
STALE_MARGIN = timedelta(minutes=10)


def abandon_stale_runs(now: datetime) -> int:
    """Mark runs whose worker stopped mid-restore (killed, restarted) as failed, saying so: the
    command was killed at its timeout by that worker or died with it, and its result is lost."""
    stale = [run.pk for run in RestoreRun.objects.filter(status=RestoreRun.Status.RUNNING).select_related("test")
             if now - run.started_at > timedelta(seconds=run.test.timeout_seconds) + STALE_MARGIN]
    return RestoreRun.objects.filter(pk__in=stale).update(
        status=RestoreRun.Status.FAILED, reason=_("the worker running this restore stopped before it finished"))


def queue_now(test: RestoreTest) -> RestoreTest:
    """Make the test due now (the button): the worker runs it at its next tick. Refused, changing
    nothing, when its target is a production database or its command names no copy."""
    restore.check_target(test.target_url)
    restore.check_command(test.command)
    if not test.enabled:
        raise Refused("enabled", _("the restore test is switched off"))
    RestoreTest.objects.filter(pk=test.pk).update(next_due_at=clock.now())
    return test


# --- saving what people change -----------------------------------------------------------------

def save(obj, *, exclude=None):
    """Validate (Refused naming the field) and save a catalogue row."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise refusal(exc) from None
    obj.save()
    return obj


