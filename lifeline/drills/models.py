"""Drills (演练): a plan's scenario practised on a date with participants, observers and a
target per milestone; run as a drill-mode incident whose milestones are measured from the
drill's start; findings (问题) tracked to done; an optional fault injected in a lab and undone
by a durable timer.

Invariants: a drill has at most one incident and one record per milestone; a fault injection
row exists before the fault is made, so the worker can always undo what was injected.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock


class Milestone(models.TextChoices):
    DETECT = "detect", _("detected")
    ACKNOWLEDGE = "acknowledge", _("acknowledged")
    EMERGENCY = "emergency", _("emergency mode")
    RESTORE = "restore", _("core business restored")


class Every(models.TextChoices):
    MONTH = "month", _("monthly")
    YEAR = "year", _("yearly")


class Schedule(models.Model):
    """A drill that recurs: the worker plans its next occurrence and reminds before it."""

    plan_id = models.CharField(_("plan"), max_length=64)
    scenario_id = models.CharField(_("scenario"), max_length=64)
    every = models.CharField(_("every"), max_length=5, choices=Every.choices)
    day = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    month = models.PositiveSmallIntegerField(_("month (yearly drills)"), default=1)
    time = models.TimeField(_("time of day"))
    remind_days = models.PositiveSmallIntegerField(_("remind days before"), default=3)
    participants = models.TextField(_("participants"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["plan_id", "scenario_id"]
        verbose_name = _("drill schedule")
        verbose_name_plural = _("drill schedules")

    def __str__(self):
        return f"{self.get_every_display()} · {self.scenario_id}"


class Drill(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("awaiting start")
        RUNNING = "running", _("running")
        ENDED = "ended", _("ended")
        SIGNED = "signed", _("signed off")

    title = models.CharField(_("drill"), max_length=200)
    plan_id = models.CharField(_("plan"), max_length=64)
    scenario_id = models.CharField(_("scenario"), max_length=64)
    planned_at = models.DateTimeField(_("planned for"), db_index=True)
    length_minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=60)
    participants = models.TextField(_("participants"), blank=True)
    observers = models.TextField(_("observers"), blank=True)
    # Targets in minutes from the drill's start; None: no target for that milestone.
    target_detect = models.PositiveIntegerField(_("target: detected (min)"), null=True, blank=True)
    target_acknowledge = models.PositiveIntegerField(_("target: acknowledged (min)"), null=True, blank=True)
    target_emergency = models.PositiveIntegerField(_("target: emergency mode (min)"), null=True, blank=True)
    target_restore = models.PositiveIntegerField(_("target: core business restored (min)"), null=True, blank=True)
    fault_target = models.CharField(_("fault to inject"), max_length=64, blank=True,
                                    help_text=_("A drill-safe lab target (DRILL_TARGETS); blank: no injection"))
    stations = models.ManyToManyField("stations.Station", blank=True, related_name="drills",
                                      verbose_name=_("workstations in drill mode"),
                                      help_text=_("A downtime drill: these emergency workstations are in drill mode "
                                                  "while it runs (everything marked 演练, never merged)"))
    schedule = models.ForeignKey(Schedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="drills",
                                 verbose_name=_("schedule"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PLANNED)
    reminded = models.BooleanField(_("reminded"), default=False)
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="drill_record", verbose_name=_("drill incident"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("signed off by"))
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    sign_off_note = models.TextField(_("sign-off remarks"), blank=True)

    class Meta:
        ordering = ["-planned_at", "-pk"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        constraints = [models.UniqueConstraint(fields=["schedule", "planned_at"], name="drills_one_per_occurrence")]

    def __str__(self):
        return self.title

    def target(self, milestone: str) -> int | None:
        return getattr(self, f"target_{milestone}")


class MilestoneRecord(models.Model):
    """When a milestone was reached: read from the incident's events, or recorded by a button."""

    class Source(models.TextChoices):
        INCIDENT = "incident", _("from the incident")
        BUTTON = "button", _("recorded by hand")

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("drill"))
    milestone = models.CharField(_("milestone"), max_length=12, choices=Milestone.choices)
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [models.UniqueConstraint(fields=["drill", "milestone"], name="drills_one_record_per_milestone")]

    def __str__(self):
        return f"{self.get_milestone_display()} {self.at:%H:%M:%S}"


class Finding(models.Model):
    """A problem the drill found (问题), with an owner and a deadline, tracked to done."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="findings", verbose_name=_("drill"))
    title = models.CharField(_("finding"), max_length=300)
    fix = models.CharField(_("fix"), max_length=300, blank=True)
    owner = models.CharField(_("owner"), max_length=100)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("found at"), default=clock.now)

    class Meta:
        ordering = ["status", "deadline", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self):
        return self.title

    def is_overdue(self, today) -> bool:
        return self.status != self.Status.DONE and self.deadline < today


class FaultInjection(models.Model):
    """A fault made in a lab for a drill; `undo_at` is the durable timer the worker honours."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="faults", verbose_name=_("drill"))
    target = models.CharField(_("lab target"), max_length=64)
    injected_at = models.DateTimeField(_("injected at"))
    undo_at = models.DateTimeField(_("undo at"), db_index=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    outcome = models.TextField(_("what the commands said"), blank=True)

    class Meta:
        ordering = ["injected_at", "pk"]
        verbose_name = _("fault injection")
        verbose_name_plural = _("fault injections")

    def __str__(self):
        return f"{self.target} {self.injected_at:%Y-%m-%d %H:%M}"
