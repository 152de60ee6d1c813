"""Delivering the incidents' outbox, channel after channel, with retries.

Each new OutboxMessage gets a Delivery. `Dispatcher.run` (the worker's job, every second):

1. records the answers of the sends it started before;
2. gives new outbox messages their Delivery (once, whichever worker sees them first);
3. claims due deliveries with SELECT … FOR UPDATE SKIP LOCKED and marks them held for a
   lease (LEASE) in the same short transaction, so another worker skips them;
4. writes each message and hands the send to a small thread pool, then returns.

Sending happens outside any transaction and outside the worker's loop: a slow channel
holds neither the other messages nor the incident timers. Only the calling thread touches
the database. If a worker dies mid-send, its lease runs out and another worker sends
again: at least once, never lost; a message that was answered is never sent again.

A failed attempt is retried on the same channel after LIFELINE_NOTIFY_RETRY_SECONDS
(10 s, then 30 s: three attempts), then the member's next channel is tried at once. When
every channel has failed, the message is failed and the incident's timeline says so.

A member's channels are tried in their order, except that a message naming channels to
prefer (OutboxMessage.channels: a plan level's `channels`, e.g. ["sms", "email"]) tries the
member's channels that serve those first, in the plan's order (`preferred_first`); the
others follow as fallback. "phone" is served by SMS (Lifeline places no calls); channels
that reach no one person (broadcast, screen, hotline …) are not a member's.
"""
import logging
import re
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.core.worker import worker_name
from lifeline.incidents.models import OutboxMessage, TimelineEntry
from lifeline.incidents.timeline import record as record_on_timeline
from lifeline.incidents.wording import in_plan_language
from lifeline.notify import channels, messages
from lifeline.notify.models import Delivery, DeliveryAttempt
from lifeline.people.models import ContactChannel

log = logging.getLogger("lifeline.notify")
# Longer than any one send can take with the short timeouts (connect + read, a few tries of SMTP).
LEASE = timedelta(minutes=2)
SENDERS = 8
ENQUEUE_LIMIT = 500
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?\d{7,15}$")
D = Delivery.Status


@dataclass
class Target:
    """One way to reach the recipient: a member's channel, or the email/SMS sender for a contact."""

    key: str
    kind: str
    url: str
    recipient: str
    channel: ContactChannel | None = None


@dataclass
class Send:
    delivery_id: int
    claim: str
    target: Target
    number: int
    text: messages.Text
    started_at: datetime  # when it went out; the answer may be recorded a round later


def attempts_per_channel() -> int:
    return len(settings.LIFELINE_NOTIFY_RETRY_SECONDS) + 1


# --- who to try ----------------------------------------------------------------------------

def contact_targets(contact: str, recipient: str) -> tuple[list[Target], str]:
    """An email address goes by the email sender, a phone number by the SMS gateway (settings)."""
    value = contact.strip()
    if EMAIL.match(value):
        if not settings.LIFELINE_NOTIFY_EMAIL_URL:
            return [], _("no email sender is set up (LIFELINE_NOTIFY_EMAIL_URL)")
        return [Target("email", "email", settings.LIFELINE_NOTIFY_EMAIL_URL.replace("{to}", value), recipient)], ""
    phone = re.sub(r"[\s()-]", "", value)
    if PHONE.match(phone):
        if not settings.LIFELINE_NOTIFY_SMS_URL:
            return [], _("no SMS gateway is set up (LIFELINE_NOTIFY_SMS_URL)")
        return [Target("sms", "sms", settings.LIFELINE_NOTIFY_SMS_URL.replace("{to}", phone), recipient)], ""
    return [], _("the contact %(contact)s is neither an email address nor a phone number") % {"contact": value}


# A plan's channel (plans.schema.Channel) and what a member's contact channel must be to serve
# it: its kind label, or the scheme of its Apprise URL.
SERVES = {
    "wecom": {"wecom", "wecombot", "wechat"},
    "dingtalk": {"dingtalk"},
    "feishu": {"feishu", "lark"},
    "sms": {"sms"},
    "phone": {"phone", "sms"},  # no calls are placed: a text to the same phone
    "email": {"email", "mailto", "mailtos"},
    "webhook": {"webhook", "json", "form", "xml"},
    "chat_group": {"chat_group", "wecombot", "dingtalk", "feishu", "lark"},  # the group bots
}
SMS_GATEWAY_SERVES = {"sms", "phone"}


def serves(channel: ContactChannel, preferred: str) -> bool:
    """Whether a member's contact channel is a way of the plan's channel `preferred`."""
    return bool({channel.kind.strip().lower(), channels.scheme_of(channel.url).lower()} & SERVES.get(preferred, set()))


def preferred_first(targets: list[Target], preferred, gateway: Target | None = None) -> list[Target]:
    """The targets serving the preferred channels first, in the preferred order, then the rest in
    their own order. `gateway` (the SMS gateway at the member's mobile) stands in for SMS or
    phone when no channel of the member's serves it."""
    first = []
    for wanted in preferred:
        serving = [t for t in targets if t.channel is not None and serves(t.channel, wanted) and t not in first]
        if not serving and gateway is not None and wanted in SMS_GATEWAY_SERVES and gateway not in first:
            serving = [gateway]
        first += serving
    return first + [t for t in targets if t not in first]


def targets_of(message: OutboxMessage) -> tuple[list[Target], str]:
    """The ways to try in order, or none and the reason."""
    member = message.member
    if member is not None:
        found = [Target(f"channel:{c.pk}", c.kind, c.url, member.name, c) for c in member.channels.all()]
        if found:
            preferred = message.channels or []
            gateway = None
            if SMS_GATEWAY_SERVES & set(preferred) and settings.LIFELINE_NOTIFY_SMS_URL:
                gateway = next(iter(contact_targets(member.phone, member.name)[0]), None)
            return preferred_first(found, preferred, gateway), ""
        # No channel on record: the member's mobile by the SMS gateway, if there is one.
        found, reason = contact_targets(member.phone, member.name)
        return found, reason and _("%(member)s has no contact channel and %(reason)s") % {
            "member": member.name, "reason": reason}
    if message.contact:
        return contact_targets(message.contact, message.contact)
    return [], _("the message names no recipient")


def next_target(delivery: Delivery, targets: list[Target]) -> tuple[Target | None, int]:
    """The first way not yet exhausted, and how many times it failed so far."""
    failures = Counter(delivery.attempts.filter(ok=False).values_list("target", flat=True))
    target = next((t for t in targets if failures[t.key] < attempts_per_channel()), None)
    return target, failures[target.key] if target else 0


# --- the steps of a run ---------------------------------------------------------------------

def enqueue_new(limit: int = ENQUEUE_LIMIT) -> int:
    fresh = list(OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, delivery__isnull=True)
                 .order_by("pk").values_list("pk", "created_at")[:limit])
    Delivery.objects.bulk_create([Delivery(message_id=pk, next_at=at) for pk, at in fresh], ignore_conflicts=True)
    return len(fresh)


def claim_due(now, limit: int) -> list[Delivery]:
    """Due deliveries nobody holds, held now by this caller until the lease runs out."""
    if limit <= 0:
        return []
    with transaction.atomic():
        due = list(Delivery.objects.select_for_update(skip_locked=True)
                   .filter(status=D.PENDING, next_at__lte=now)
                   .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
                   .order_by("next_at", "pk")[:limit])
        for delivery in due:
            delivery.claimed_until, delivery.claim = now + LEASE, f"{worker_name()}:{uuid.uuid4().hex[:12]}"
        Delivery.objects.bulk_update(due, ["claimed_until", "claim"])
    return due


def prepare(delivery: Delivery, now) -> Send | None:
    """What to send on which channel; a delivery with nowhere left to go is finished instead."""
    delivery = _with_message(Delivery.objects).get(pk=delivery.pk)
    with in_plan_language(delivery.message.incident):
        targets, reason = targets_of(delivery.message)
    if not targets:
        _finish(delivery, D.UNDELIVERABLE, reason, now)
        return None
    target, failures = next_target(delivery, targets)
    if target is None:
        _finish(delivery, D.FAILED, delivery.reason, now)
        return None
    try:
        text = messages.compose(delivery.message)
    except Exception as exc:  # a message that cannot be written must not come back every round
        log.exception("the message of delivery %s could not be written", delivery.pk)
        _finish(delivery, D.FAILED, f"the message could not be written: {exc!r}", now)
        return None
    return Send(delivery.pk, delivery.claim, target, failures + 1, text, now)


def _with_message(deliveries):
    return deliveries.select_related("message__incident__plan_version", "message__member")


@transaction.atomic
def record(send: Send, outcome: channels.Outcome, now) -> DeliveryAttempt:
    """Keep the attempt; then sent, a retry later, the next channel now, or failed."""
    delivery = _with_message(Delivery.objects.select_for_update(of=("self",))).get(pk=send.delivery_id)
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery, incident_id=delivery.message.incident_id, channel=send.target.channel,
        target=send.target.key, kind=send.target.kind[:20], recipient=send.target.recipient[:100],
        number=send.number, ok=outcome.ok, error=outcome.error, at=send.started_at, duration_ms=outcome.duration_ms)
    if delivery.claim != send.claim or delivery.status != D.PENDING:
        return attempt  # held too long: another worker took it over and decides what comes next
    if outcome.ok:
        _finish(delivery, D.SENT, "", now)
        return attempt
    delivery.claimed_until, delivery.claim, delivery.reason = None, "", outcome.error[:500]
    waits = settings.LIFELINE_NOTIFY_RETRY_SECONDS
    if send.number <= len(waits):
        delivery.next_at = now + timedelta(seconds=waits[send.number - 1])
    elif next_target(delivery, targets_of(delivery.message)[0])[0] is None:
        _finish(delivery, D.FAILED, outcome.error, now)
        return attempt
    else:
        delivery.next_at = now
    delivery.save(update_fields=["claimed_until", "claim", "reason", "next_at"])
    return attempt


def _finish(delivery: Delivery, status: str, reason: str, now):
    delivery.status, delivery.finished_at, delivery.reason = status, now, reason[:500]
    delivery.claimed_until, delivery.claim = None, ""
    delivery.save(update_fields=["status", "finished_at", "reason", "claimed_until", "claim"])
    message = delivery.message
    message.status = OutboxMessage.Status.SENT if status == D.SENT else OutboxMessage.Status.FAILED
    message.save(update_fields=["status"])
    if status != D.SENT:
        # The commander must know that someone was not reached.
        incident = message.incident
        with in_plan_language(incident):
            record_on_timeline(incident, TimelineEntry.Kind.PAGE,
                               _("Message to %(recipient)s not delivered: %(reason)s")
                               % {"recipient": message.member or message.contact, "reason": reason},
                               "notify", delivery=delivery.pk, undelivered=True)


# --- running it -----------------------------------------------------------------------------

class Dispatcher:
    """Sends on a few threads; the database is only touched by the thread that calls `run`."""

    def __init__(self, senders: int = SENDERS):
        self.senders = senders
        self.pool = ThreadPoolExecutor(senders, thread_name_prefix="notify-send")
        self.in_flight: dict = {}

    def run(self, now, wait_for_answers: bool = False) -> int:
        """One round: record finished sends, start due ones; returns how many were started."""
        self.collect()
        enqueue_new()
        started = 0
        for delivery in claim_due(now, self.senders - len(self.in_flight)):
            send = prepare(delivery, now)
            if send is not None:
                future = self.pool.submit(channels.send, send.target.url, send.text.body, send.text.subject)
                self.in_flight[future] = send
                started += 1
        if wait_for_answers:
            self.collect(wait_for_answers=True)
        return started

    def collect(self, wait_for_answers: bool = False) -> int:
        finished = wait(self.in_flight).done if wait_for_answers else [f for f in self.in_flight if f.done()]
        for future in finished:
            record(self.in_flight.pop(future), future.result(), clock.now())
        return len(finished)


def send_check(channel: ContactChannel, now=None) -> DeliveryAttempt:
    """A test message to one channel, sent now; the attempt is kept in the log like the others."""
    text = messages.check_text()
    outcome = channels.send(channel.url, text.body, text.subject)
    return DeliveryAttempt.objects.create(
        channel=channel, target=f"channel:{channel.pk}", kind=channel.kind[:20],
        recipient=channel.member.name[:100], ok=outcome.ok, error=outcome.error,
        at=now or clock.now(), duration_ms=outcome.duration_ms)
