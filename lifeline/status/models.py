"""The hospital's services as patients and staff know them (挂号, 收费, 医保接口 …).

Probes and alerts watch a component; incidents and maintenance change its state; the
public status page shows it.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock


class Component(models.Model):
    class State(models.TextChoices):
        OPERATIONAL = "operational", _("Operational")
        DEGRADED = "degraded", _("Partly affected")
        OUTAGE = "outage", _("Service suspended")
        MAINTENANCE = "maintenance", _("Under maintenance")

    key = models.SlugField(_("key"), max_length=64, unique=True)
    # As the plans name it (scenario `components`, incident `services`), e.g. 收费.
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    public = models.BooleanField(_("on the public status page"), default=True)
    # The plans were written by different people: plan 004 says "Outpatient charging" where
    # the hospital says 收费, plan 003 says 门诊药房 for 药房.
    plan_names = models.TextField(
        _("other names in the plans"), blank=True,
        help_text=_("One per line, as scenarios, incident services or working modes name it."))

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self):
        return self.name

    @property
    def names(self) -> set[str]:
        """Every name an incident or a plan may use for this component."""
        return {self.name, *(line.strip() for line in self.plan_names.splitlines() if line.strip())}


class CurrentQuerySet(models.QuerySet):
    def current(self, at=None):
        """Started, not yet ended and not withdrawn at `at` (now by default)."""
        at = at or clock.now()
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at), withdrawn_at__isnull=True,
                           **{f"{self.model.STARTED}__lte": at})


class Override(models.Model):
    """The liaison sets a component's state by hand, until it expires or is withdrawn."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="overrides",
                                  verbose_name=_("component"))
    state = models.CharField(_("state"), max_length=12, choices=Component.State.choices)
    reason = models.CharField(_("reason"), max_length=300)
    starts_at = models.DateTimeField(_("from"), default=clock.now)
    ends_at = models.DateTimeField(_("until"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("set by"))

    objects = CurrentQuerySet.as_manager()
    STARTED = "starts_at"

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("state override")
        verbose_name_plural = _("state overrides")

    def __str__(self):
        return f"{self.component}: {self.get_state_display()}"


class Notice(models.Model):
    """A notice to patients (公告) on the status page, the banner and the feed."""

    title = models.CharField(_("notice title"), max_length=100)
    body = models.TextField(_("text"), max_length=1000, blank=True)
    components = models.ManyToManyField(Component, blank=True, related_name="notices",
                                        verbose_name=_("components"))
    # Ends with its incident: a "being repaired" notice must not outlive the repair.
    incident = models.ForeignKey("incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="status_notices", verbose_name=_("incident"))
    template = models.CharField(_("plan notice"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("published at"), default=clock.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))

    objects = CurrentQuerySet.as_manager()
    STARTED = "published_at"

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return self.title


class MaintenanceWindow(models.Model):
    """Planned work on components: their state reads 维护中, and failures seen on them open no incident."""

    components = models.ManyToManyField(Component, related_name="maintenance_windows",
                                        verbose_name=_("components"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="status_maintenance_ends_after_start")]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M} {self.note}".strip()
