"""对账 records: a downtime's reconciliation and its sign-off, the insurance settlements to redo,
and the paper sheets collected and entered back (补录). Every model here is audited.

Invariants:
- A Reconciliation covers one downtime: an incident (its opened..resolved time) or a period
  start..end. Once signed off it is never signed again; `signed_figures` keeps the figures as
  they were at the sign-off (the page keeps computing them from the journal).
- A Resettlement is one charge settled as self-pay while its insurance settlement was pending,
  keyed by the charge's journal event id (one row per charge, whichever reconciliation shows it).
- A PaperEntry is one sheet (or one line of a sheet) entered into the journal of its department's
  paper station: its `event_id` is the ReceivedEvent it became. A bundle's sheets left to enter
  are its sheets collected minus its entries.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock
from lifeline.incidents.models import Incident
from lifeline.stations.models import Station


class Reconciliation(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="reconciliations", verbose_name=_("incident"))
    start = models.DateTimeField(_("downtime from"))
    end = models.DateTimeField(_("downtime to"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("signed off by"))
    sign_off_note = models.CharField(_("note"), max_length=500, blank=True)
    signed_figures = models.JSONField(_("figures at the sign-off"), default=dict, blank=True)

    class Meta:
        ordering = ["-start", "-pk"]
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")

    def __str__(self):
        return str(self.incident) if self.incident_id else f"{self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"


class Resettlement(models.Model):
    """An insurance settlement to refund and re-settle (先自费后补结算, seed 003 E)."""

    event_id = models.CharField(_("charge event"), max_length=40, unique=True)
    charge_no = models.CharField(_("charge no."), max_length=40)
    card_no = models.CharField(_("card no."), max_length=40)
    insurance_no = models.CharField(_("insurance no."), max_length=40)
    insurance_unit = models.CharField(_("insurance unit"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    charged_at = models.DateTimeField(_("charged at"))
    done_at = models.DateTimeField(_("re-settled at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("re-settled by"))

    class Meta:
        ordering = ["charged_at", "charge_no"]
        verbose_name = _("insurance re-settlement")
        verbose_name_plural = _("insurance re-settlements")

    def __str__(self):
        return self.charge_no


class PaperForm(models.TextChoices):
    """The binder's paper forms (lifeline.plans.printing.FORM_SPECS)."""

    REGISTRATION_SLIP = "registration_slip", _("Manual registration slip")
    PRESCRIPTION = "prescription", _("Handwritten prescription")
    CHARGE_SHEET = "charge_sheet", _("Charge sheet")
    DISPENSING_LOG = "dispensing_log", _("Dispensing log")


class PaperBundle(models.Model):
    """A bundle of paper sheets of one form, collected from a department after the downtime."""

    department = models.CharField(_("department"), max_length=100)
    form = models.CharField(_("paper form"), max_length=20, choices=PaperForm.choices)
    sheets = models.PositiveIntegerField(_("sheets collected"))
    collected_at = models.DateTimeField(_("collected at"), default=clock.now)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("collected by"))

    class Meta:
        ordering = ["department", "form", "pk"]
        verbose_name = _("paper bundle")
        verbose_name_plural = _("paper bundles")

    def __str__(self):
        return f"{self.department} {self.get_form_display()} ×{self.sheets}"


class PaperEntry(models.Model):
    bundle = models.ForeignKey(PaperBundle, on_delete=models.PROTECT, related_name="entries",
                               verbose_name=_("paper bundle"))
    serial = models.CharField(_("serial no. on the sheet"), max_length=40)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("paper station"))
    event_id = models.CharField(_("journal event"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    entered_at = models.DateTimeField(_("entered at"), default=clock.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("entered by"))

    class Meta:
        ordering = ["bundle", "entered_at", "pk"]
        verbose_name = _("paper entry")
        verbose_name_plural = _("paper entries")
        constraints = [models.UniqueConstraint(fields=["bundle", "serial"], name="reconciliation_entry_serial_unique")]

    def __str__(self):
        return f"{self.bundle} #{self.serial}"
