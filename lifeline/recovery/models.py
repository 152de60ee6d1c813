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
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifeline.core import clock
from lifeline.stations.models import Station
from lifeline.workstation.journal import Event


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
    # The station's code as its journal names it (the hash covers it; the server re-walks the chain).
    station_code = models.CharField(_("station code"), max_length=100, default="")
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

    def as_event(self) -> Event:
        """The event as the station recorded it (its hash recomputes from these fields)."""
        return Event(seq=self.seq, event_id=self.event_id, station=self.station_code, operator=self.operator,
                     recorded_at=self.recorded_at, kind=self.kind, payload=self.payload, package_id=self.package_id,
                     price_version=self.price_version, mode=self.mode, prev_hash=self.prev_hash, hash=self.hash)


class MergeRun(models.Model):
    """One merge-back of the received events into the HIS (or a dry run of it): who started it,
    how far it got, what it wrote and found. A run killed anywhere is continued by the next one:
    the HIS's ledger says which events are in already (exactly once is the writer's).

    One run at a time, held by the database: `active` is True while the run is queued or
    running and NULL once it finished, under a unique index (NULLs never collide) and a check
    tying it to the state, so a second run cannot be queued even by two requests at once.
    `heartbeat_at` is renewed per batch by whoever carries the run out (`worker`, host:pid); a
    run silent too long, or whose process on this machine is gone, is failed (merging.reap)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("events to merge"), default=0)
    done = models.PositiveIntegerField(_("events merged"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    active = models.BooleanField(_("queued or running"), null=True, default=True, unique=True, editable=False)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker = models.CharField(_("carried out by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("merge run")
        verbose_name_plural = _("merge runs")
        ordering = ["-started_at", "-id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(active=True, state__in=("queued", "running"))
            | (models.Q(active__isnull=True) & ~models.Q(state__in=("queued", "running"))),
            name="recovery_merge_run_active_while_unfinished")]

    def __str__(self):
        return f"#{self.pk} {self.get_state_display()} {self.done}/{self.total}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.REFUSED, self.State.FAILED)


class Conflict(models.Model):
    """Something merge-back will not decide by itself (a person does): a temporary patient who may
    be a patient the HIS knows, an invoice number the HIS used, a price the HIS changed during the
    downtime, stock that would go negative. While one is open, nothing is merged.

    `key` tells apart the conflicts of one kind on one event (the item, the drug, the invoice), so
    finding it again on the next dry run finds the same row, and a decision stands."""

    class Kind(models.TextChoices):
        PATIENT_MATCH = "patient_match", _("temporary patient matches a HIS patient")
        INVOICE_USED = "invoice_used", _("invoice number used in the HIS")
        PRICE_CHANGED = "price_changed", _("price changed in the HIS")
        STOCK_NEGATIVE = "stock_negative", _("stock would go negative")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("merge conflict", "open")
        CONFIRMED = "confirmed", _("confirmed as the HIS patient")
        REJECTED = "rejected", _("rejected: a new patient")
        ACCEPTED = "accepted", _("accepted: written as recorded")

    event = models.ForeignKey(ReceivedEvent, on_delete=models.PROTECT, related_name="conflicts",
                              verbose_name=_("event"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    found_at = models.DateTimeField(_("found at"), default=clock.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    resolution = models.JSONField(_("resolution"), default=dict, blank=True)

    class Meta:
        verbose_name = _("merge conflict")
        verbose_name_plural = _("merge conflicts")
        ordering = ["event__station", "event__seq", "kind", "key"]
        constraints = [models.UniqueConstraint(fields=["event", "kind", "key"], name="recovery_conflict_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.event} {self.key}"
