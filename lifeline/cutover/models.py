"""A go-live cutover (上线切换): the old system replaced by the new one on a planned day.

Its board holds the tasks (responsible unit, owner, deadline, dependencies), the go/no-go
checklist, the day's timeline and the migration rehearsals from which the real migration's
length is predicted. The fallback to the old system is a plan's scenario, linked by id.

Invariants kept by services.py: a task is done only after every task it depends on is done;
the go decision needs every go/no-go item signed yes; every change is a line on the timeline,
stamped by the injected clock.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock


class Cutover(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", _("preparing")
        CUTTING_OVER = "cutting_over", _("cutting over")
        LIVE = "live", _("live on the new system")
        FALLEN_BACK = "fallen_back", _("fallen back to the old system")

    name = models.CharField(_("name"), max_length=200, unique=True)
    planned_at = models.DateTimeField(_("planned cutover time"))
    old_system = models.CharField(_("old system"), max_length=100)
    new_system = models.CharField(_("new system"), max_length=100)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PREPARING)
    fallback_plan = models.CharField(_("fallback plan"), max_length=64, blank=True,
                                     help_text=_("Id of the plan whose scenario switches back to the old system"))
    fallback_scenario = models.CharField(_("fallback scenario"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)

    class Meta:
        ordering = ["-planned_at"]
        verbose_name = _("cutover")
        verbose_name_plural = _("cutovers")

    def __str__(self):
        return self.name


class Task(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("to do")
        DOING = "doing", _("in progress")
        DONE = "done", _("done")

    cutover = models.ForeignKey(Cutover, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("cutover"))
    title = models.CharField(_("task"), max_length=200)
    unit = models.CharField(_("responsible unit"), max_length=100)
    owner = models.CharField(_("owner"), max_length=100)
    deadline = models.DateTimeField(_("deadline"))
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="needed_by",
                                        verbose_name=_("depends on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.TODO)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("cutover task")
        verbose_name_plural = _("cutover tasks")

    def __str__(self):
        return self.title

    def is_overdue(self, now) -> bool:
        return self.status != self.Status.DONE and self.deadline < now


class GoCheck(models.Model):
    """One go/no-go question, answered yes or no by someone who signs it."""

    cutover = models.ForeignKey(Cutover, on_delete=models.CASCADE, related_name="checks", verbose_name=_("cutover"))
    question = models.CharField(_("go/no-go item"), max_length=200)
    answer = models.BooleanField(_("answer"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("signed by"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("go/no-go item")
        verbose_name_plural = _("go/no-go items")

    def __str__(self):
        return self.question


class Event(models.Model):
    """A line of the cutover day's timeline."""

    cutover = models.ForeignKey(Cutover, on_delete=models.CASCADE, related_name="events", verbose_name=_("cutover"))
    at = models.DateTimeField(_("time"), default=clock.now)
    text = models.CharField(_("what happened"), max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self):
        return self.text


class Rehearsal(models.Model):
    """One migration rehearsal (迁移演练): how long it took, how many rows each table moved,
    what went wrong, and optionally the data comparison run after it."""

    cutover = models.ForeignKey(Cutover, on_delete=models.CASCADE, related_name="rehearsals",
                                verbose_name=_("cutover"))
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    table_rows = models.JSONField(_("rows per table"), default=dict)  # {"patient": 1200000, ...}
    problems = models.TextField(_("problems"), blank=True)
    comparison = models.JSONField(_("data comparison"), null=True, blank=True)  # compare summary, per table

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("migration rehearsal")
        verbose_name_plural = _("migration rehearsals")

    def __str__(self):
        return f"{self.cutover} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)

    @property
    def rows(self) -> int:
        return sum(self.table_rows.values())
