"""Inspections (巡检) and spare parts (备品备件).

A checklist is done once per period of its frequency (a day, a week, a month, a quarter): that
period's round, due on the period's last day at the checklist's due time (hospital time).
Automatic items are filled in by Lifeline from a provider (a probe's state); manual ones by the
person on duty with a pass/fail, a value where the item has a unit, and a note.

A spare part's stock only changes through services (a withdrawal against an incident, a restock,
an import); below its minimum an alarm fires until it is restocked.
"""
from datetime import time

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifeline.core import clock


class Frequency(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


class Checklist(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    due_time = models.TimeField(_("due by (time of day)"), default=time(10, 0),
                                help_text=_("On the period's last day, in hospital time"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("inspection checklist")
        verbose_name_plural = _("inspection checklists")

    def __str__(self):
        return self.name


class CheckItem(models.Model):
    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", _("automatic")
        MANUAL = "manual", _("manual")

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items",
                                  verbose_name=_("checklist"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("item"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    # Automatic items: the provider (providers.py: "probe", "backup" …) and what it reads there.
    provider = models.CharField(_("filled in from"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    # Manual items with a measured value (机房温度 °C): its unit and the bounds that pass.
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    low = models.FloatField(_("lowest passing value"), null=True, blank=True)
    high = models.FloatField(_("highest passing value"), null=True, blank=True)
    # The plan measure this item was confirmed from, if any (plans.preparedness shows it backed).
    plan_id = models.CharField(_("plan"), max_length=64, blank=True)
    measure_id = models.CharField(_("plan measure"), max_length=64, blank=True)

    class Meta:
        ordering = ["checklist", "position", "pk"]
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")

    def __str__(self):
        return f"{self.checklist} · {self.title}"

    @property
    def measured(self) -> bool:
        return bool(self.unit)


class Round(models.Model):
    """One checklist done (or not yet) for one period; completed once, by one person."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="rounds",
                                  verbose_name=_("checklist"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_at = models.DateTimeField(_("due at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("completed by"))
    note = models.TextField(_("note"), blank=True)
    # An overdue alarm fires for this round (raised once, resolved on completion).
    alarmed = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-period_start", "checklist"]
        constraints = [models.UniqueConstraint(fields=["checklist", "period_start"], name="one_round_per_period")]
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")

    def __str__(self):
        return f"{self.checklist} {self.period_start:%Y-%m-%d}"

    def is_overdue(self, now) -> bool:
        return self.completed_at is None and self.due_at < now


class Result(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results", verbose_name=_("round"))
    item = models.ForeignKey(CheckItem, on_delete=models.PROTECT, related_name="results", verbose_name=_("item"))
    passed = models.BooleanField(_("passed"))
    value = models.FloatField(_("value"), null=True, blank=True)
    reading = models.CharField(_("reading"), max_length=200, blank=True)  # what an automatic item read
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["round", "item__position", "item__pk"]
        constraints = [models.UniqueConstraint(fields=["round", "item"], name="one_result_per_item")]
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")

    def __str__(self):
        return f"{self.item.title}: {'✓' if self.passed else '✗'}"


class SparePart(models.Model):
    class Category(models.TextChoices):
        CORE_SWITCH = "core_switch", _("core switch")
        SWITCH = "switch", _("switch")
        SERVER = "server", _("server")
        DISK = "disk", _("hard disk")
        MEMORY = "memory", _("memory")
        OPTICAL = "optical", _("optical module")
        FIREWALL = "firewall", _("firewall")
        CABLE = "cable", _("cable")
        OTHER = "other", _("other")

    name = models.CharField(pgettext_lazy("spare part", "name"), max_length=100, unique=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    model = models.CharField(_("model"), max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=100)
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    minimum = models.PositiveIntegerField(_("minimum stock"), default=1)
    replaces = models.CharField(pgettext_lazy("spare part", "replaces"), max_length=300, blank=True,
                                help_text=_("The components this part stands in for"))
    plan_id = models.CharField(_("plan"), max_length=64, blank=True)
    measure_id = models.CharField(_("plan measure"), max_length=64, blank=True)

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")

    def __str__(self):
        return self.name

    @property
    def below_minimum(self) -> bool:
        return self.quantity < self.minimum


class Withdrawal(models.Model):
    """Parts taken out of stock for an incident (出库), with why and by whom."""

    part = models.ForeignKey(SparePart, on_delete=models.PROTECT, related_name="withdrawals",
                             verbose_name=_("spare part"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("incident"))
    reason = models.CharField(_("reason"), max_length=300)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("taken by"))
    taken_at = models.DateTimeField(_("taken at"), default=clock.now)

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("spare part withdrawal")
        verbose_name_plural = _("spare part withdrawals")

    def __str__(self):
        return f"{self.part} ×{self.quantity} → #{self.incident_id}"
