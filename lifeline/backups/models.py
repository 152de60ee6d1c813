"""Backups and disaster recovery (备份与容灾): what is backed up, where the copies go, the
evidence that they exist and restore, and the DR pairs with their failover runbooks.

- A System (HIS, EMR, PACS …) has an RPO and an RTO objective.
- A BackupJob of a system runs on a schedule (every N hours) and writes to Destinations
  (local disk, remote machine, object storage, removable media, tape). Evidence that it ran:
  the heartbeat probe it checks in to, or the scan of a destination directory, which records
  each file it sees as a BackupCopy.
- A RestoreTest restores the newest copy of a destination into a scratch database, times it
  (the achieved RTO), runs SanityQueries against it and marks the copy proven or failed; each
  attempt is a RestoreRun.
- Sites and DrComponents (primary/standby pairs) hold the DR topology; a component's failover
  and failback procedures are scenarios of a plan, started as an incident or as a drill
  (Switchover keeps which incident it was).

Rows confirmed from a plan's preparedness measure keep its plan_id and measure_id.
"""
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifeline.core import clock, sqlguard
from lifeline.core.errors import Refused

MAX_OUTPUT_CHARS = 20_000  # a restore's output kept: its tail, where the errors are
MAX_TIMEOUT_SECONDS = 24 * 3600


class FromPlan(models.Model):
    """Where a row came from: a plan's preparedness measure a person confirmed (blank otherwise)."""

    plan_id = models.CharField(_("plan"), max_length=64, blank=True)
    measure_id = models.CharField(_("plan measure"), max_length=64, blank=True)

    class Meta:
        abstract = True


class System(models.Model):
    name = models.CharField(_("system"), max_length=100, unique=True)
    rpo_minutes = models.PositiveIntegerField(_("RPO objective (minutes)"), default=60,
                                              help_text=_("the most data that may be lost, as minutes of work"))
    rto_minutes = models.PositiveIntegerField(_("RTO objective (minutes)"), default=240,
                                              help_text=_("the longest a restore may take"))
    notes = models.TextField(_("notes"), blank=True, max_length=2000)

    class Meta:
        ordering = ["name"]
        verbose_name = _("backed-up system")
        verbose_name_plural = _("backed-up systems")

    def __str__(self):
        return self.name


class State(models.TextChoices):
    """What the evidence says about a job or a destination."""

    UNKNOWN = "unknown", _("No evidence yet")
    OK = "ok", _("On time")
    MISSED = "missed", _("Missed")
    SHRUNK = "shrunk", _("Shrunk")
    BAD_CHECKSUM = "bad_checksum", _("Checksum mismatch")


class BackupJob(FromPlan):
    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Incremental")
        LOG = "log", _("Log")

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("system"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.FULL)
    every_hours = models.PositiveIntegerField(
        _("runs every (hours)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 92)],
        help_text=_("24 for daily, 168 for weekly, 720 for monthly"))
    schedule_text = models.CharField(_("schedule as written"), max_length=100, blank=True,
                                     help_text=_("e.g. 每天凌晨1点, as the plan says it"))
    grace_minutes = models.PositiveIntegerField(_("grace (minutes)"), default=60,
                                                help_text=_("how late a run may be before it counts as missed"))
    shrink_percent = models.PositiveSmallIntegerField(
        _("suspicious shrink (%)"), default=50, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("a copy smaller than the recent ones by more than this is suspicious"))
    tool = models.CharField(_("tool"), max_length=100, blank=True)
    heartbeat = models.ForeignKey("detection.Probe", on_delete=models.SET_NULL, null=True, blank=True,
                                  limit_choices_to={"kind": "heartbeat"}, related_name="backup_jobs",
                                  verbose_name=_("heartbeat probe"))
    enabled = models.BooleanField(_("enabled"), default=True)

    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.UNKNOWN,
                             editable=False)
    state_reason = models.CharField(_("why"), max_length=300, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["system__name", "name"]
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="backups_job_unique_name")]
        verbose_name = _("backup job")
        verbose_name_plural = _("backup jobs")

    def __str__(self):
        return f"{self.system} · {self.name}"

    @property
    def allowed_age(self) -> timedelta:
        """How old the newest copy may be before the job counts as missed."""
        return timedelta(hours=self.every_hours, minutes=self.grace_minutes)


class Destination(models.Model):
    class Kind(models.TextChoices):
        LOCAL = "local", _("Local disk")
        REMOTE = "remote", _("Remote machine")
        OBJECT = "object", _("Object storage")
        REMOVABLE = "removable", _("Removable media")
        TAPE = "tape", _("Tape")

    job = models.ForeignKey(BackupJob, on_delete=models.CASCADE, related_name="destinations",
                            verbose_name=_("backup job"))
    kind = models.CharField(_("medium"), max_length=10, choices=Kind.choices, default=Kind.LOCAL)
    location = models.CharField(_("path or URL"), max_length=500)
    offsite = models.BooleanField(_("off-site"), default=False)
    scan = models.BooleanField(_("scan this directory"), default=False,
                               help_text=_("Lifeline reads the directory: newest file, size, checksum file"))
    pattern = models.CharField(_("file pattern"), max_length=100, default="*",
                               help_text=_("which files are backups, e.g. *.dump"))

    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.UNKNOWN,
                             editable=False)
    state_reason = models.CharField(_("why"), max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["job", "pk"]
        verbose_name = _("backup destination")
        verbose_name_plural = _("backup destinations")

    def __str__(self):
        # The job and medium people choose by; the path is shown beside it, as code, where it matters.
        return f"{self.job} · {self.get_kind_display()}"


class BackupCopy(models.Model):
    """A file a scan found at a destination (the newest few are kept, for the trend)."""

    class Checksum(models.TextChoices):
        NONE = "none", _("No checksum file")
        GOOD = "good", _("Checksum verified")
        BAD = "bad", _("Checksum mismatch")

    class Proof(models.TextChoices):
        UNTESTED = "untested", _("Not restored yet")
        PROVEN = "proven", _("Proven by a restore")
        FAILED = "failed", _("Restore failed")

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="copies",
                                    verbose_name=_("backup destination"))
    name = models.CharField(_("file"), max_length=255)
    size = models.BigIntegerField(_("size (bytes)"))
    modified_at = models.DateTimeField(_("written at"))
    checksum = models.CharField(_("checksum"), max_length=8, choices=Checksum.choices, default=Checksum.NONE)
    shrunk = models.BooleanField(_("shrunk"), default=False)
    proof = models.CharField(_("restore"), max_length=8, choices=Proof.choices, default=Proof.UNTESTED)
    proven_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    seen_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["-modified_at"]
        constraints = [models.UniqueConstraint(fields=["destination", "name"], name="backups_copy_unique_name")]
        verbose_name = _("backup copy")
        verbose_name_plural = _("backup copies")

    def __str__(self):
        return self.name

    @property
    def good(self) -> bool:
        return not self.shrunk and self.checksum != self.Checksum.BAD and self.proof != self.Proof.FAILED


class RestoreTest(models.Model):
    """Restore the newest copy of a destination into a scratch database, then check it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="restore_tests",
                                    verbose_name=_("backup destination"))
    command = models.JSONField(
        _("command"), help_text=_("a list of words, run without a shell: {backup} is the copy's path, "
                                  "{target} the scratch database's address"))
    target_url = models.CharField(_("scratch database URL"), max_length=500,
                                  help_text=_("a throw-away database; never a production one"))
    timeout_seconds = models.PositiveIntegerField(
        _("timeout (seconds)"), default=3600, validators=[MinValueValidator(1), MaxValueValidator(MAX_TIMEOUT_SECONDS)])
    every_hours = models.PositiveIntegerField(_("runs every (hours)"), default=168,
                                              help_text=_("0: only from the button"))
    enabled = models.BooleanField(_("enabled"), default=True)
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("restore test")
        verbose_name_plural = _("restore tests")

    def __str__(self):
        return self.name

    def clean(self):
        """The command names the copy; the scratch target is no production database (restore.py)."""
        from lifeline.backups import restore

        problems = []
        for check, value in ((restore.check_command, self.command), (restore.check_target, self.target_url)):
            try:
                check(value)
            except Refused as exc:
                problems.append(exc)
        if problems:
            raise ValidationError({p.field: p.message for p in problems})


class SanityQuery(models.Model):
    """A query on the restored database whose one value must be within bounds."""

    class Expect(models.TextChoices):
        BETWEEN = "between", _("a number between")
        RECENT = "recent", _("a time no older than")

    test = models.ForeignKey(RestoreTest, on_delete=models.CASCADE, related_name="queries",
                             verbose_name=_("restore test"))
    label = models.CharField(_("what it checks"), max_length=100)
    sql = models.TextField(_("SQL"), max_length=4000)
    expect = models.CharField(_("expects"), max_length=8, choices=Expect.choices, default=Expect.BETWEEN)
    minimum = models.FloatField(_("at least"), null=True, blank=True)
    maximum = models.FloatField(_("at most"), null=True, blank=True)
    max_age_hours = models.FloatField(_("no older than (hours)"), null=True, blank=True)

    class Meta:
        ordering = ["test", "pk"]
        verbose_name = _("sanity query")
        verbose_name_plural = _("sanity queries")

    def __str__(self):
        return self.label

    def clean(self):
        errors = {}
        try:
            self.sql = sqlguard.one_select(self.sql or "")
        except ValueError:
            errors["sql"] = _("a sanity query is one SELECT (or WITH … SELECT) statement")
        if self.expect == self.Expect.RECENT and self.max_age_hours is None:
            errors["max_age_hours"] = _("say how old the newest record may be")
        if self.expect == self.Expect.BETWEEN and self.minimum is None and self.maximum is None:
            errors["minimum"] = _("give at least a lower or an upper bound")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            errors["maximum"] = _("the upper bound is below the lower one")
        if errors:
            raise ValidationError(errors)


class RestoreRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    test = models.ForeignKey(RestoreTest, on_delete=models.CASCADE, related_name="runs",
                             verbose_name=_("restore test"))
    copy = models.ForeignKey(BackupCopy, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs",
                             verbose_name=_("backup copy"))
    backup_path = models.CharField(_("backup restored"), max_length=1000, blank=True)
    trigger = models.CharField(_("started by"), max_length=100, blank=True)
    status = models.CharField(_("result"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    reason = models.TextField(_("reason"), blank=True)
    output = models.TextField(_("output"), blank=True)
    checks = models.JSONField(_("sanity checks"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    seconds = models.FloatField(_("restore time (s)"), null=True, blank=True,
                                help_text=_("the achieved RTO: the restore command and the checks"))

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("restore run")
        verbose_name_plural = _("restore runs")

    def __str__(self):
        return f"{self.test} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def backup_name(self) -> str:
        """The restored file's name (its directory is the destination's)."""
        return self.copy.name if self.copy else self.backup_path.rsplit("/", 1)[-1]

    @property
    def minutes(self) -> float | None:
        return None if self.seconds is None else self.seconds / 60


class Site(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", _("Primary data centre")
        SECOND = "second", _("Second data centre (A/B)")
        SAME_CITY = "same_city", _("Same-city DR centre")
        REMOTE = "remote", _("Remote DR centre")

    name = models.CharField(_("site"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PRIMARY)
    address = models.CharField(_("where"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self):
        return self.name


class DrComponent(FromPlan):
    """A primary/standby pair and the plan scenarios that switch between them."""

    class Kind(models.TextChoices):
        DATABASE = "database", _("Database")
        APP = "app", _("Application servers")
        STORAGE = "storage", _("Storage")
        NETWORK = "network", _("Network line")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DATABASE)
    primary_site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("primary site"))
    primary = models.CharField(pgettext_lazy("dr", "primary"), max_length=200,
                               help_text=_("host name and address, e.g. DBServerA .11"))
    standby_site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("standby site"))
    standby = models.CharField(_("standby"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    procedure_plan_id = models.CharField(_("procedures' plan"), max_length=64, blank=True)
    failover_scenario_id = models.CharField(_("failover scenario"), max_length=64, blank=True)
    failback_scenario_id = models.CharField(_("failback scenario"), max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("DR component")
        verbose_name_plural = _("DR components")

    def __str__(self):
        return self.name


class Switchover(models.Model):
    """A failover or failback started from a component's page: the incident (or drill) that runs it."""

    class Direction(models.TextChoices):
        FAILOVER = "failover", _("Failover")
        FAILBACK = "failback", _("Failback")

    component = models.ForeignKey(DrComponent, on_delete=models.CASCADE, related_name="switchovers",
                                  verbose_name=_("DR component"))
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("incident"))
    started_at = models.DateTimeField(_("started at"), default=clock.now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("switchover")
        verbose_name_plural = _("switchovers")

    def __str__(self):
        return f"{self.component} {self.get_direction_display()}"
