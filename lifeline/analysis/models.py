"""报告: the fault analysis of an incident (故障分析报告) and its follow-up tasks.

Seed 002 §6(6): after a fault, analyse its cause, correct the plan's procedure and archive
the report. The facts (timeline, impact, actions) come from the incident; what people
conclude (cause, what went well or badly, lessons) is written here.
"""
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock
from lifeline.incidents.models import Incident

# A field of the analysis: a few pages of text at most, not a pasted log file.
TEXT_MAX_CHARS = 10_000


def _text(label):
    return models.TextField(label, blank=True, max_length=TEXT_MAX_CHARS,
                            validators=[MaxLengthValidator(TEXT_MAX_CHARS)])


class FaultAnalysis(models.Model):
    """What the people in charge concluded about one incident."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="analysis",
                                    verbose_name=_("incident"))
    cause = _text(_("cause"))
    went_well = _text(_("what went well"))
    went_badly = _text(_("what went badly"))
    lessons = _text(_("lessons"))
    plan_changes = _text(_("changes to the plan's procedure"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    # The fields people write, in the order the report prints them.
    TEXT_FIELDS = ("cause", "went_well", "went_badly", "lessons", "plan_changes")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("fault analysis")
        verbose_name_plural = _("fault analyses")

    def __str__(self):
        return str(self.incident)


class FollowUpQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True)

    def overdue(self, today):
        """Open and due before `today` (a local date)."""
        return self.open().filter(due_on__lt=today)


class FollowUp(models.Model):
    """A task an incident leaves behind, with an owner (a member or a vendor), tracked until done."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="follow_ups",
                                 verbose_name=_("incident"))
    title = models.CharField(_("title"), max_length=300)
    owner = models.ForeignKey("people.Member", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="follow_ups", verbose_name=_("owner"))
    vendor = models.CharField(_("vendor"), max_length=100, blank=True,
                              help_text=_("An owner outside the hospital, e.g. the HIS vendor"))
    due_on = models.DateField(_("due date"), db_index=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))
    result = models.CharField(_("result"), max_length=500, blank=True)
    # Past its due date and still open: its owner was paged (then the commander), once each
    # (lifeline.analysis.overdue, a worker job).
    owner_paged_at = models.DateTimeField(_("owner paged as overdue at"), null=True, blank=True)
    commander_paged_at = models.DateTimeField(_("commander paged as overdue at"), null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return self.title

    @property
    def owner_name(self) -> str:
        return self.owner.name if self.owner_id else self.vendor

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
