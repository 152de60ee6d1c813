"""The hospital's services as patients and staff know them (挂号, 收费, 医保接口 …).

Probes and alerts watch a component; incidents and maintenance change its state; the
public status page shows it.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self):
        return self.name


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
