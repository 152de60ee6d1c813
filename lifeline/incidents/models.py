"""事件: reports, incidents and what runs them (roles, checklist, decision tree, timers, outbox, duty cards).

An incident follows one stored plan version, so what it ran can be read again after the
plan changes. Its timeline is append-only: entries are written, never changed or deleted.
"""
from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from lifeline.core import clock
from lifeline.incidents.wording import role_title
from lifeline.plans.models import PlanVersion

# What a reporter may write about what they see: enough for a paragraph, not a document.
DESCRIPTION_MAX_CHARS = 2000
# People affected by one report: a whole city's worth is a typing slip, not a report.
PEOPLE_AFFECTED_MAX = 1_000_000
# A note on the timeline: a long paragraph, not a pasted log file.
NOTE_MAX_CHARS = 10_000
DRILL_MARK = "【演练】"


class Report(models.Model):
    """A fault report (报告) from a department, the hotline, a chat group or the API."""

    class Source(models.TextChoices):
        PAGE = "page", _("report page")
        HOTLINE = "hotline", _("hotline")
        CHAT = "chat", _("chat group")
        API = "api", _("API")

    number = models.CharField(_("report number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PAGE)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="fault_reports", verbose_name=_("reporter"))
    department = models.CharField(_("department"), max_length=100)
    workstation = models.CharField(_("workstation"), max_length=100, blank=True)
    description = models.TextField(_("what they see"), max_length=DESCRIPTION_MAX_CHARS,
                                   validators=[MaxLengthValidator(DESCRIPTION_MAX_CHARS)])
    people_affected = models.PositiveIntegerField(_("people affected"), default=1,
                                                  validators=[MinValueValidator(1),
                                                              MaxValueValidator(PEOPLE_AFFECTED_MAX)])
    contact = models.CharField(_("contact"), max_length=100)
    created_at = models.DateTimeField(_("reported at"), default=clock.now, db_index=True)
    incident = models.ForeignKey("Incident", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="reports", verbose_name=_("incident"))
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("triaged by"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self):
        return f"{self.number} {self.department}"


class IncidentQuerySet(models.QuerySet):
    def real(self):
        """Incidents that happened: drills left out (statistics count only these)."""
        return self.filter(is_drill=False)

    def open(self):
        # Named statuses, not "not finished": the (status, opened_at) index then finds them.
        return self.filter(status__in=[s for s in Incident.Status.values if s not in Incident.Status.finished()])


class Incident(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        INVESTIGATING = "investigating", _("investigating")
        MITIGATED = "mitigated", _("mitigated")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")

        @classmethod
        def finished(cls):
            return [cls.RESOLVED, cls.CLOSED]

    class Scope(models.TextChoices):
        TERMINAL = "terminal", _("single terminal")
        REGION = "region", _("region or department")
        WHOLE = "whole", _("whole hospital")

    # "title" alone is a job title (职务) in the catalogue; an incident's is what happened.
    title = models.CharField(pgettext_lazy("incident", "title"), max_length=200)
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="incidents",
                                     verbose_name=_("plan version"))
    scenario_id = models.CharField(_("scenario"), max_length=64, blank=True)
    level_id = models.CharField(_("level"), max_length=64, db_index=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    category_id = models.CharField(_("problem category"), max_length=64, blank=True, db_index=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, blank=True)
    users_pct = models.FloatField(_("share of users affected (%)"), null=True, blank=True,
                                  validators=[MinValueValidator(0), MaxValueValidator(100)])
    services = models.JSONField(_("services affected"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.REPORTED,
                              db_index=True)
    opened_at = models.DateTimeField(_("opened at"), default=clock.now, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    investigating_at = models.DateTimeField(_("investigating since"), null=True, blank=True)
    mitigated_at = models.DateTimeField(_("mitigated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_drill = models.BooleanField(_("drill"), default=False)
    # Working modes switched on by timers, by department: {"Outpatient charging": "stand-alone"}.
    modes = models.JSONField(_("working modes"), default=dict, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"))

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        # The dashboard lists open incidents newest first; the tracking table filters drills out.
        indexes = [models.Index(fields=["status", "opened_at"], name="incidents_status_opened"),
                   models.Index(fields=["is_drill", "opened_at"], name="incidents_drill_opened")]

    def __str__(self):
        return f"{DRILL_MARK if self.is_drill else ''}#{self.pk} {self.title}"

    @cached_property
    def plan(self):
        return self.plan_version.content

    @property
    def level(self):
        return next((lv for lv in self.plan.levels if lv.id == self.level_id), None)

    @property
    def scenario(self):
        return next((s for s in self.plan.scenarios if s.id == self.scenario_id), None)

    @property
    def is_open(self) -> bool:
        return self.status not in self.Status.finished()

    @property
    def time_to_acknowledge(self):
        return self.acknowledged_at - self.opened_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self):
        return self.resolved_at - self.opened_at if self.resolved_at else None


class Assignment(models.Model):
    """Who holds an incident role, from when until when; a handover ends one and starts the next."""

    class Kind(models.TextChoices):
        COMMANDER = "commander", _("commander")
        DEPUTY = "deputy", _("deputy")
        SCRIBE = "scribe", _("scribe")
        LIAISON = "liaison", _("liaison")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments",
                                 verbose_name=_("incident"))
    # One of Kind, or a role or group id of the incident's plan.
    role = models.CharField(_("incident role"), max_length=64)
    member = models.ForeignKey("people.Member", on_delete=models.PROTECT, related_name="incident_assignments",
                               verbose_name=_("member"))
    starts_at = models.DateTimeField(_("from"), default=clock.now)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["incident", "role", "starts_at"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["incident", "role"], condition=Q(ends_at__isnull=True),
                                               name="incidents_one_holder_per_role")]

    def __str__(self):
        return f"{self.title}: {self.member}"

    @property
    def title(self) -> str:
        """The role as people say it: an incident role's name, else the plan's title of its role or group."""
        if self.role in self.Kind.values:
            return self.Kind(self.role).label
        return role_title(self.incident, self.role)


class TimelineImmutable(Exception):
    """A timeline entry was about to be changed or deleted."""


class TimelineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TimelineImmutable("the timeline is append-only")

    def delete(self):
        raise TimelineImmutable("the timeline is append-only")


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        OPENED = "opened", _("opened")
        REPORT = "report", _("report attached")
        STATUS = "status", _("status changed")
        LEVEL = "level", _("level changed")
        ROLE = "role", _("role")
        SCENARIO = "scenario", _("scenario started")
        CHECKLIST = "checklist", _("checklist")
        TREE = "tree", _("decision")
        TIMER = "timer", _("timer")
        PAGE = "page", _("paged")
        MODE = "mode", _("working mode")
        DUTY_CARD = "duty_card", _("duty card")
        NOTICE = "notice", _("notice")
        NOTE = "note", _("note")
        ALERT = "alert", _("alert")
        VENDOR = "vendor", _("vendor")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="timeline",
                                 verbose_name=_("incident"))
    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("text"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    # Who acted when it was not a person: "worker host:pid", "system".
    actor_name = models.CharField(_("by (system)"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.text[:60]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TimelineImmutable("the timeline is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TimelineImmutable("the timeline is append-only")


class ChecklistItem(models.Model):
    """One step of a started scenario."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        SKIPPED = "skipped", _("skipped")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checklist",
                                 verbose_name=_("incident"))
    scenario_id = models.CharField(_("scenario"), max_length=64)
    step_id = models.CharField(_("step"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    detail = models.TextField(_("detail"), blank=True)
    owner_role = models.CharField(_("owner role"), max_length=64, blank=True)
    order = models.PositiveIntegerField(_("order"))
    after = models.JSONField(_("after steps"), default=list, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    assignee = models.ForeignKey("people.Member", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("assignee"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))

    class Meta:
        ordering = ["incident", "order"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist")
        constraints = [models.UniqueConstraint(fields=["incident", "scenario_id", "step_id"],
                                               name="incidents_one_item_per_step")]

    def __str__(self):
        return self.title


class TreeAnswer(models.Model):
    """One answered question of a scenario's decision tree."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tree_answers",
                                 verbose_name=_("incident"))
    scenario_id = models.CharField(_("scenario"), max_length=64)
    node_id = models.CharField(_("question"), max_length=64)
    question = models.TextField(_("question text"))
    answer = models.CharField(_("answer"), max_length=300)
    next_node = models.CharField(_("next"), max_length=64)
    at = models.DateTimeField(_("at"), default=clock.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["incident", "at", "pk"]
        verbose_name = _("decision tree answer")
        verbose_name_plural = _("decision tree answers")

    def __str__(self):
        return f"{self.node_id}: {self.answer}"


class Timer(models.Model):
    """A durable timer: fired once by whichever worker claims it first (see firing.fire_due_timers)."""

    class Kind(models.TextChoices):
        PLAN = "plan_timer", _("plan timer")
        SLA_RESPOND = "sla_respond", _("response deadline")
        SLA_RESOLVE = "sla_resolve", _("resolution deadline")
        ACK_ESCALATION = "ack_escalation", _("escalation while unacknowledged")
        RENOTIFY = "renotify", _("reminder while unresolved")
        REMINDER = "reminder", _("reminder set by a person")
        STEP_OVERDUE = "step_overdue", _("checklist step overdue")

    class Unless(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        RESOLVED = "resolved", _("resolved")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        FIRED = "fired", _("fired")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timers",
                                 verbose_name=_("incident"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100)
    due_at = models.DateTimeField(_("due at"))
    unless = models.CharField(_("unless"), max_length=15, choices=Unless.choices, default=Unless.RESOLVED)
    action = models.JSONField(_("action"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    fired_at = models.DateTimeField(_("fired or cancelled at"), null=True, blank=True)
    fired_by = models.CharField(_("fired by"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        constraints = [models.UniqueConstraint(fields=["incident", "kind", "key"], name="incidents_one_timer_per_key")]
        indexes = [models.Index(fields=["status", "due_at"], name="incidents_timer_due")]

    def __str__(self):
        return f"{self.kind}:{self.key} @ {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def text(self) -> str:
        return self.action.get("text", "")


class OutboxMessage(models.Model):
    """A message to deliver; the notification app delivers these, tests read them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="outbox",
                                 verbose_name=_("incident"))
    # A member of the organisation, or (for a reporter without one) the contact they left.
    member = models.ForeignKey("people.Member", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                               verbose_name=_("recipient"))
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    role = models.CharField(_("as role"), max_length=64, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # The plan's channels to prefer for this message, in order (a level's `channels`, e.g.
    # ["sms", "email"]); lifeline.notify tries the recipient's matching channels first.
    channels = models.JSONField(_("channels to prefer"), default=list, blank=True)
    # Names what caused the message and for whom, so running the cause again writes nothing.
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self):
        return f"{self.member or self.contact} · {self.subject}"


class DutyCardActivation(models.Model):
    """A department's duty card switched on for an incident, until the department acknowledges it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="duty_cards",
                                 verbose_name=_("incident"))
    card_id = models.CharField(_("duty card"), max_length=64)
    department = models.CharField(_("department"), max_length=100)
    activated_at = models.DateTimeField(_("activated at"), default=clock.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+", verbose_name=_("acknowledged by"))

    class Meta:
        ordering = ["incident", "activated_at", "pk"]
        verbose_name = _("duty card activation")
        verbose_name_plural = _("duty card activations")
        constraints = [models.UniqueConstraint(fields=["incident", "card_id"], name="incidents_one_card_activation")]

    def __str__(self):
        return pgettext("a name with a note", "%(name)s (%(note)s)") % {"name": self.card_id, "note": self.department}


class VendorCommitment(models.Model):
    """When a vendor (a plan role marked `vendor`) says it will have the problem repaired
    (seed 000: 排查问题、编制处理单、进行问题修复，并告知修复时间).

    One per incident and vendor role: a new time replaces the old one (the timeline keeps
    both) and may be overdue once more. When it passes with the incident still open, the
    vendor's contact and the commander are told once (vendors.notify_overdue, a worker job);
    `overdue_notified_at` says it was done.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="commitments",
                                 verbose_name=_("incident"))
    role = models.CharField(_("vendor role"), max_length=64)
    repair_by = models.DateTimeField(_("committed repair time"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    overdue_notified_at = models.DateTimeField(_("overdue notice sent at"), null=True, blank=True)

    class Meta:
        ordering = ["repair_by", "pk"]
        verbose_name = _("vendor commitment")
        verbose_name_plural = _("vendor commitments")
        constraints = [models.UniqueConstraint(fields=["incident", "role"], name="incidents_one_commitment_per_vendor")]
        # The worker asks "which commitments have passed without a notice?" every few seconds.
        indexes = [models.Index(fields=["overdue_notified_at", "repair_by"], name="incidents_commitment_due")]

    def __str__(self):
        return f"{self.title}: {self.repair_by:%Y-%m-%d %H:%M}"

    @property
    def title(self) -> str:
        """The vendor as the incident's plan names it."""
        return role_title(self.incident, self.role)
