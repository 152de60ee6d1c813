"""The journals the stations send back, as the server holds them.

Invariants:
- `ReceivedEvent` rows of one station are that station's journal from seq 1 without gaps, each
  chained to the one before (prev_hash = the previous hash) exactly as the station recorded it:
  the receiving side appends only what continues the chain (recovery/receiving.py), under the
  station's `StationJournal` row locked (SELECT … FOR UPDATE), so two deliveries of one station
  at once are appended one after the other.
- `event_id` is unique everywhere: an event delivered twice (network and USB, or a retry) is
  stored once. Received events are never changed, except for their merge state.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock
from lifeline.stations.models import Station


class StationJournal(models.Model):
    """The head of one station's journal on the server, and what the station last said it holds."""

    station = models.OneToOneField(Station, on_delete=models.PROTECT, related_name="journal",
                                   verbose_name=_("emergency workstation"))
    received_seq = models.PositiveBigIntegerField(_("last sequence number received"), default=0)
    received_hash = models.CharField(_("hash of the last event received"), max_length=64, default="0" * 64)
    received_at = models.DateTimeField(_("last received at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("time of the last event"), null=True, blank=True)
    held = models.PositiveBigIntegerField(_("events the station holds"), default=0)
    held_reported_at = models.DateTimeField(_("holdings reported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("station journal")
        verbose_name_plural = _("station journals")

    def __str__(self):
        return f"{self.station} #{self.received_seq}"


class ReceivedEvent(models.Model):
    """One journal event of one station, as recorded there (lifeline.workstation.journal.Event):
    the chain's fields verbatim, so the server can recompute every hash."""

    class Via(models.TextChoices):
        NETWORK = "network", _("network")
        USB = "usb", _("USB file")
        PAPER = "paper", _("paper back-entry")

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="received_events",
                                verbose_name=_("emergency workstation"))
    seq = models.PositiveBigIntegerField(_("sequence number"))
    event_id = models.CharField(_("event id"), max_length=40, unique=True)
    operator = models.CharField(_("operator"), max_length=40)
    recorded_at = models.CharField(_("recorded at"), max_length=40,
                                   help_text=_("the station's clock, as it wrote it (ISO 8601)"))
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    payload = models.JSONField(_("payload"))
    package_id = models.CharField(_("package in force"), max_length=64)
    price_version = models.CharField(_("price version"), max_length=200)
    mode = models.CharField(_("mode"), max_length=10)  # ready, emergency or drill (journal.READY …)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    via = models.CharField(_("received by"), max_length=10, choices=Via.choices)
    received_at = models.DateTimeField(_("received at"), default=clock.now)
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("received event")
        verbose_name_plural = _("received events")
        ordering = ["station", "seq"]
        constraints = [models.UniqueConstraint(fields=["station", "seq"], name="recovery_event_station_seq_unique")]

    def __str__(self):
        return f"{self.station.name} #{self.seq} {self.kind}"
