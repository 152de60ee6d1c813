"""Evidence that a backup job ran: the heartbeat it checks in to, and the scan of its destinations.

A destination marked `scan` is a directory Lifeline can read. Each check lists the files that
match its pattern, records the newest few as BackupCopy rows and judges the newest one:

- missed: written longer ago than the job's schedule allows (every_hours + grace), or no file;
- shrunk: smaller than the median of the copies before it by more than shrink_percent;
- bad checksum: a checksum file beside it (NAME.sha256 or NAME.md5, `sha256sum` format) does
  not match its content.

A job's state is the worst of its destinations' and its heartbeat's. Every check reports it
through lifeline.core.alarms (firing or not), so detection opens and resolves the alert, and
a plan that routes the alert opens an incident. All times come from lifeline.core.clock.
"""
import hashlib
import statistics
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.backups.models import BackupCopy, BackupJob, Destination, State
from lifeline.core import alarms, clock

ALARM_SOURCE = "backups"
KEEP_COPIES = 30  # per destination: the trend needs a few, the page shows the newest
TREND_COPIES = 7  # the copies before the newest whose median size is the yardstick
CHECKSUM_SUFFIXES = {".sha256": hashlib.sha256, ".md5": hashlib.md5}
# Worst first: a job shows the worst state any of its evidence has.
SEVERITY = [State.MISSED, State.BAD_CHECKSUM, State.SHRUNK, State.UNKNOWN, State.OK]


def worst(states) -> str:
    states = list(states)
    return next((s for s in SEVERITY if s in states), State.UNKNOWN)


def _files(destination: Destination) -> list[Path]:
    folder = Path(destination.location)
    if not folder.is_dir():
        return []
    return [p for p in folder.glob(destination.pattern or "*")
            if p.is_file() and p.suffix not in CHECKSUM_SUFFIXES]


def _checksum(path: Path) -> str:
    """good, bad or none: the first checksum file beside the copy that names a digest."""
    for suffix, algorithm in CHECKSUM_SUFFIXES.items():
        listed = path.with_name(path.name + suffix)
        if not listed.is_file():
            continue
        words = listed.read_text(encoding="utf-8", errors="replace").split()
        if not words:
            return BackupCopy.Checksum.BAD
        digest = algorithm()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return BackupCopy.Checksum.GOOD if digest.hexdigest() == words[0].lower() else BackupCopy.Checksum.BAD
    return BackupCopy.Checksum.NONE


def _shrunk(job: BackupJob, size: int, earlier: list[int]) -> bool:
    if not earlier:
        return False
    median = statistics.median(earlier[:TREND_COPIES])
    return median > 0 and size < median * (100 - job.shrink_percent) / 100


def scan(destination: Destination) -> BackupCopy | None:
    """Record what the directory holds now; the newest copy (None when there is none)."""
    files = sorted(_files(destination), key=lambda p: p.stat().st_mtime, reverse=True)[:KEEP_COPIES]
    known = {c.name: c for c in destination.copies.all()}
    newest = None
    for path in reversed(files):  # oldest first, so each copy's trend is the copies before it
        stat = path.stat()
        copy = known.get(path.name) or BackupCopy(destination=destination, name=path.name)
        modified_at = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        # A file seen before as it is is judged already: a scan every few minutes writes nothing.
        if copy.pk is None or (copy.size, copy.modified_at) != (stat.st_size, modified_at):
            copy.size, copy.modified_at = stat.st_size, modified_at
            earlier = list(destination.copies.exclude(name=path.name).filter(modified_at__lt=copy.modified_at)
                           .order_by("-modified_at").values_list("size", flat=True)[:TREND_COPIES])
            copy.shrunk = _shrunk(destination.job, copy.size, earlier)
            copy.checksum = _checksum(path)
            copy.proof, copy.proven_at = BackupCopy.Proof.UNTESTED, None  # new content: not proven yet
            copy.save()
        newest = copy
    kept = [c.pk for c in destination.copies.order_by("-modified_at")[:KEEP_COPIES]]
    destination.copies.exclude(pk__in=kept).filter(runs__isnull=True).delete()
    return newest


def judge(destination: Destination, newest: BackupCopy | None, now: datetime) -> tuple[str, str]:
    job = destination.job
    if newest is None:
        return State.MISSED, _("no backup file in %(where)s") % {"where": destination.location}
    age = now - newest.modified_at
    if age > job.allowed_age:
        return State.MISSED, _("newest copy %(name)s is %(hours).1f h old; the schedule allows %(allowed).1f h") % {
            "name": newest.name, "hours": age.total_seconds() / 3600,
            "allowed": job.allowed_age.total_seconds() / 3600}
    if newest.checksum == BackupCopy.Checksum.BAD:
        return State.BAD_CHECKSUM, _("%(name)s does not match its checksum file") % {"name": newest.name}
    if newest.shrunk:
        return State.SHRUNK, _("%(name)s is more than %(percent)d%% smaller than the recent copies") % {
            "name": newest.name, "percent": job.shrink_percent}
    return State.OK, ""


def heartbeat_state(job: BackupJob, now: datetime) -> tuple[str, str]:
    last = job.heartbeat.last_heartbeat_at
    if last is None:
        return State.MISSED, _("the job has not checked in to heartbeat %(probe)s yet") % {"probe": job.heartbeat}
    if now - last > job.allowed_age:
        return State.MISSED, _("last check-in %(hours).1f h ago; the schedule allows %(allowed).1f h") % {
            "hours": (now - last).total_seconds() / 3600, "allowed": job.allowed_age.total_seconds() / 3600}
    return State.OK, ""


def check_job(job: BackupJob, now: datetime | None = None) -> BackupJob:
    """Scan the job's destinations, read its heartbeat, store its state and report the alarm."""
    now = now or clock.now()
    findings, runs = [], []
    for destination in job.destinations.filter(scan=True):
        with transaction.atomic():
            newest = scan(destination)
            destination.state, destination.state_reason = judge(destination, newest, now)
            # What the evidence says, not a change someone made: an update, like the job's below.
            Destination.objects.filter(pk=destination.pk).update(state=destination.state,
                                                                 state_reason=destination.state_reason)
        findings.append((destination.state, destination.state_reason))
        if newest:
            runs.append(newest.modified_at)
    if job.heartbeat_id:
        findings.append(heartbeat_state(job, now))
        if job.heartbeat.last_heartbeat_at:
            runs.append(job.heartbeat.last_heartbeat_at)
    state = worst(s for s, _r in findings) if findings else State.UNKNOWN
    job.state = state
    job.state_reason = "；".join(r for s, r in findings if s == state and r)[:300]
    job.last_run_at, job.checked_at = max(runs, default=None), now
    BackupJob.objects.filter(pk=job.pk).update(state=job.state, state_reason=job.state_reason,
                                               last_run_at=job.last_run_at, checked_at=now)
    _report(job)
    return job


def _report(job: BackupJob):
    firing = job.state in (State.MISSED, State.SHRUNK, State.BAD_CHECKSUM)
    summary = (_("Backup %(job)s: %(state)s — %(why)s") % {"job": job, "state": job.get_state_display(),
                                                            "why": job.state_reason}
               if firing else _("Backup %(job)s is on time") % {"job": job})
    alarms.raise_alarm(source=ALARM_SOURCE, fingerprint=f"backup-job-{job.pk}", firing=firing, summary=summary,
                       labels={"system": job.system.name, "job": job.name, "state": job.state})


def check_all(now: datetime | None = None) -> list[BackupJob]:
    jobs = BackupJob.objects.filter(enabled=True).select_related("system", "heartbeat")
    return [check_job(job, now) for job in jobs]
