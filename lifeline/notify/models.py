"""通知: getting the incidents' outbox to people, and every attempt it took.

A Delivery is the work of getting one OutboxMessage to its recipient: which channel comes
next and when. A DeliveryAttempt is one try on one channel, kept as the record of what
was sent where and what the channel answered. Both are machine records, kept out of
the audit log (lifeline/audit/signals.py UNAUDITED_MODELS).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed on every channel")
        UNDELIVERABLE = "undeliverable", _("undeliverable")

    message = models.OneToOneField("incidents.OutboxMessage", on_delete=models.CASCADE, related_name="delivery",
                                   verbose_name=_("message"))
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.PENDING)
    next_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    # A worker holds a delivery while it sends (a lease): another worker takes it over only
    # once the lease runs out, which happens only if the first one died mid-send.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim = models.CharField(_("claimed by"), max_length=100, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_at"], name="notify_delivery_due")]

    def __str__(self):
        return f"{self.message} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try of one message (or of a test message) on one channel."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts",
                                 verbose_name=_("delivery"))
    # Kept beside the delivery so the log filters by incident without a join through it.
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("incident"))
    channel = models.ForeignKey("people.ContactChannel", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("channel"))
    # Which way this was ("channel:12", "sms", "email"): retries and fallback count by it.
    target = models.CharField(_("target"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20)
    recipient = models.CharField(_("recipient"), max_length=100)
    number = models.PositiveSmallIntegerField(_("attempt"), default=1)
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)
    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"{self.recipient} · {self.kind} #{self.number}: {'ok' if self.ok else self.error[:60]}"

    @property
    def is_test(self) -> bool:
        return self.delivery_id is None


class SinkMessage(models.Model):
    """A message sent to a `sink://` channel: kept here instead of leaving the server. The demo's
    contacts use it, so a newcomer sees notifications arrive (/notify/sink/) and the demo never
    reaches for the internet."""

    kind = models.CharField(_("kind"), max_length=20)
    to = models.CharField(_("to"), max_length=200)
    title = models.CharField(_("title"), max_length=250, blank=True)
    body = models.TextField(_("text"))
    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("message in the local sink")
        verbose_name_plural = _("messages in the local sink")

    def __str__(self):
        return f"{self.kind} → {self.to}: {self.title or self.body[:40]}"
