"""监控: outside alerts (integrations, alerts, groups, silences) and Lifeline's own probes.

Two sections, kept apart: ALERTS (receivers and grouping) and PROBES (checks Lifeline runs).
"""
import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock

# ===================================================================== ALERTS ===========


def token_digest(token: str) -> str:
    """Integrations are found by the digest of their token; the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class Integration(models.Model):
    """A monitoring system that sends alerts to Lifeline (Alertmanager, Zabbix, a plain webhook).

    Its receiver URL carries a secret token. Alerts are routed to a plan, scenario, level and
    component: the defaults here, refined by each alert's labels (see alerts.route).
    """

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        ZABBIX = "zabbix", "Zabbix"
        WEBHOOK = "webhook", _("generic webhook")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    plan_id = models.CharField(_("plan"), max_length=64, blank=True,
                               help_text=_("Empty: the active plan with a scenario naming the alert's component."))
    scenario_id = models.CharField(_("scenario"), max_length=64, blank=True,
                                   help_text=_("Empty: the plan's first scenario naming the alert's component."))
    level_id = models.CharField(_("level"), max_length=64, blank=True,
                                help_text=_("Empty: from the severity map, else the scenario's level."))
    component = models.ForeignKey("status.Component", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="integrations", verbose_name=_("component"),
                                  help_text=_("When the alert's labels name none."))
    component_label = models.CharField(_("component label"), max_length=64, default="component",
                                       help_text=_("The label whose value is a component's key or name."))
    severity_label = models.CharField(_("severity label"), max_length=64, default="severity")
    # {"critical": "L1", "warning": "L3"}: the plan level for each severity the source sends.
    severity_levels = models.JSONField(_("level by severity"), default=dict, blank=True,
                                       help_text=_('For example {"critical": "L1", "warning": "L3"}.'))
    group_by = models.CharField(_("group by labels"), max_length=200, blank=True,
                                help_text=_("Comma-separated label names. Empty: Alertmanager's groupKey, "
                                            "Zabbix's host, the webhook's group field."))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self):
        return self.name

    @property
    def source(self) -> str:
        return f"integration:{self.pk}"

    def new_token(self) -> str:
        """Give the integration a fresh token; returns it (the only time it can be read)."""
        token = secrets.token_urlsafe(32)
        self.token_hash = token_digest(token)
        return token

    def group_labels(self) -> list[str]:
        return [name.strip() for name in self.group_by.split(",") if name.strip()]

    def clean(self):
        if not isinstance(self.severity_levels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.severity_levels.items()):
            raise ValidationError({"severity_levels": _("give a JSON object of severity to level id")})


class Silence(models.Model):
    """Alerts matching every matcher (and the component, if set) during the window open nothing.

    They are still stored, marked with the silence, so the record shows what was muted and why.
    """

    matchers = models.CharField(_("label matchers"), max_length=500, blank=True,
                                help_text=_("Comma-separated, e.g. alertname=DiskFull, instance=~his-db.*"))
    component = models.ForeignKey("status.Component", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="silences", verbose_name=_("component"))
    starts_at = models.DateTimeField(_("from"), default=clock.now)
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("silence")
        verbose_name_plural = _("silences")

    def __str__(self):
        return self.reason

    MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!=|=)\s*(.*?)\s*$")

    def parsed_matchers(self) -> list[tuple[str, str, str]]:
        """[(label, op, value)]; raises ValidationError naming the bad matcher."""
        parsed = []
        for text in filter(str.strip, self.matchers.split(",")):
            match = self.MATCHER.match(text)
            if not match:
                raise ValidationError({"matchers": _("%(matcher)s: write label=value, label!=value or "
                                                     "label=~regex") % {"matcher": text.strip()}})
            name, op, value = match.groups()
            if op == "=~":
                try:
                    re.compile(value)
                except re.error as exc:
                    raise ValidationError({"matchers": f"{text.strip()}: {exc}"}) from exc
            parsed.append((name, op, value))
        return parsed

    def clean(self):
        self.parsed_matchers()
        if not self.matchers.strip() and self.component_id is None:
            raise ValidationError({"matchers": _("give label matchers or a component: "
                                                 "a silence of everything is not allowed")})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("the end must come after the start")})

    def matches(self, labels: dict, component_id) -> bool:
        if self.component_id is not None and self.component_id != component_id:
            return False
        for name, op, value in self.parsed_matchers():
            actual = str(labels.get(name, ""))
            if op == "=" and actual != value or op == "!=" and actual == value:
                return False
            if op == "=~" and not re.fullmatch(value, actual):
                return False
        return True


class AlertGroup(models.Model):
    """The alerts of one source that belong together (one outage): they share one incident."""

    class State(models.TextChoices):
        FIRING = "firing", _("firing")
        RESOLVED = "resolved", _("source resolved")

    source = models.CharField(_("source"), max_length=64)
    key = models.CharField(_("group key"), max_length=255)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.FIRING)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    component = models.ForeignKey("status.Component", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("component"))
    incident = models.ForeignKey("incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="alert_groups", verbose_name=_("incident"))
    # Why no incident was opened (no plan names the component, the plan refused ...).
    problem = models.CharField(_("why no incident"), max_length=300, blank=True)
    first_at = models.DateTimeField(_("first alert"), default=clock.now)

    class Meta:
        ordering = ["-first_at", "-pk"]
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="detection_one_group_per_key")]

    def __str__(self):
        return f"{self.source} {self.key}"


class Alert(models.Model):
    """One alert as its source knows it (one fingerprint); a repeat updates the same row."""

    class Status(models.TextChoices):
        FIRING = "firing", _("firing")
        RESOLVED = "resolved", _("recovered")

    source = models.CharField(_("source"), max_length=64)
    fingerprint = models.CharField(_("fingerprint"), max_length=255)
    # Indexed by (group, status) below; a second index on group alone would only slow the inserts.
    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts",
                              verbose_name=_("group"), db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    summary = models.CharField(_("summary"), max_length=300)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    component = models.ForeignKey("status.Component", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("component"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    received_at = models.DateTimeField(_("last received"), default=clock.now)
    silence = models.ForeignKey(Silence, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts",
                                verbose_name=_("silenced by"))
    in_maintenance = models.BooleanField(_("in maintenance"), default=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["source", "fingerprint"], name="detection_one_alert_per_fp")]
        # "Is anything of this group still firing?" is asked on every resolved alert.
        indexes = [models.Index(fields=["group", "status"], name="detection_alert_group_status")]

    def __str__(self):
        return f"{self.summary} ({self.status})"

    @property
    def muted(self) -> bool:
        return self.silence_id is not None or self.in_maintenance

# ===================================================================== PROBES ===========
# A probe checks one thing at its own interval (监控). The worker claims due probes by
# next_due_at with SELECT … FOR UPDATE SKIP LOCKED and holds a lease while the check runs, so
# several workers neither run a probe twice nor lose a reading. Raw results are kept briefly,
# hourly and daily rollups for a year (probes/history.py).

MIN_INTERVAL_SECONDS = 5


class Probe(models.Model):
    class Kind(models.TextChoices):
        HTTP = "http", _("HTTP(S)")
        TCP = "tcp", _("TCP port")
        SQL = "sql", _("SQL query")
        SYNTHETIC = "synthetic", _("Synthetic transaction")
        HEARTBEAT = "heartbeat", _("Heartbeat")
        PROMETHEUS = "prometheus", _("Prometheus metric")

    class State(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        UP = "up", _("Up")
        DOWN = "down", _("Down")
        # Changing state too often: held here (and alerted once) until it settles.
        FLAPPING = "flapping", _("Flapping")

    class Op(models.TextChoices):
        LT = "<", "<"
        LE = "<=", "≤"
        GT = ">", ">"
        GE = ">=", "≥"
        EQ = "==", "="
        NE = "!=", "≠"

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    component = models.ForeignKey("status.Component", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="probes", verbose_name=_("component"))
    enabled = models.BooleanField(_("enabled"), default=True)
    # What to check; its shape depends on the kind (probes/config.py validates it).
    config = models.JSONField(_("settings"), default=dict, blank=True)
    interval_seconds = models.PositiveIntegerField(
        _("interval (seconds)"), default=60, validators=[MinValueValidator(MIN_INTERVAL_SECONDS)])
    timeout_seconds = models.PositiveIntegerField(
        _("timeout (seconds)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(300)])
    down_after = models.PositiveSmallIntegerField(
        _("down after failures in a row"), default=3, validators=[MinValueValidator(1)])
    up_after = models.PositiveSmallIntegerField(
        _("up after successes in a row"), default=1, validators=[MinValueValidator(1)])
    # For kinds that yield a number (SQL, Prometheus): the reading fails when `value OP threshold`.
    threshold_op = models.CharField(_("fails when the value is"), max_length=2, choices=Op.choices, blank=True)
    threshold_value = models.FloatField(_("threshold"), null=True, blank=True)
    # Flap damping: more than flap_changes state changes within flap_window_seconds: flapping.
    flap_changes = models.PositiveSmallIntegerField(
        _("flapping after state changes"), default=4, help_text=_("0 turns flap damping off"))
    flap_window_seconds = models.PositiveIntegerField(_("flapping window (seconds)"), default=600)
    # Where the plan has one: the scenario and level the probe's alert opens an incident with.
    plan_id = models.CharField(_("plan"), max_length=64, blank=True)
    scenario_id = models.CharField(_("scenario"), max_length=64, blank=True)
    level_id = models.CharField(_("level"), max_length=64, blank=True)

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UNKNOWN)
    state_since = models.DateTimeField(_("state since"), null=True, blank=True)
    # The state the readings say, before flap damping.
    observed = models.CharField(max_length=10, choices=State.choices, default=State.UNKNOWN, editable=False)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # For rate() in a Prometheus expression: the counters the previous scrape read and its time
    # ({"at": ISO time, "series": {selector: [[labels, value], …]}}, probes/promql.py Counters).
    last_counters = models.JSONField(default=dict, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    consecutive_successes = models.PositiveIntegerField(default=0, editable=False)
    # A firing alert stands for this probe (raised when down or flapping, resolved when up).
    alerted = models.BooleanField(default=False, editable=False)

    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    leased_by = models.CharField(max_length=100, blank=True, editable=False)
    # Hours before this are rolled up from the raw results (probes/history.py).
    rolled_until = models.DateTimeField(null=True, blank=True, editable=False)

    heartbeat_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    last_heartbeat_at = models.DateTimeField(_("last check-in"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("probe")
        verbose_name_plural = _("probes")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.kind == self.Kind.HEARTBEAT and not self.heartbeat_token:
            self.heartbeat_token = secrets.token_urlsafe(24)
        super().save(*args, **kwargs)

    @property
    def source(self) -> str:
        return f"probe:{self.pk}"

    def clean_fields(self, exclude=None):
        """The settings must be what the kind needs (each problem names its field)."""
        from lifeline.detection.probes import config

        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as invalid:
            errors = invalid.update_error_dict(errors)
        if not {"kind", "config"} & (set(exclude or ()) | set(errors)):
            try:
                config.parse(self.kind, self.config)
            except config.ConfigInvalid as invalid:
                errors["config"] = [f"{field}: {reason}" for field, reason in invalid.problems]
        if errors:
            raise ValidationError(errors)

    def clean(self):
        """A threshold only where the kind yields a number; a timeout within the interval; an
        interval within a rate() window."""
        from lifeline.detection.probes import config, promql

        errors = {}
        try:
            settings = config.parse(self.kind, self.config)
        except config.ConfigInvalid:
            settings = None  # said by clean_fields
        if self.threshold_op and settings and not config.yields_number(self.kind, settings):
            errors["threshold_op"] = _("this probe yields no number to compare (SQL, a Prometheus expression "
                                       "without comparison, or an HTTP JSON field without an expected value)")
        if bool(self.threshold_op) != (self.threshold_value is not None):
            errors.setdefault("threshold_value", _("give both the comparison and the threshold, or neither"))
        if self.timeout_seconds and self.interval_seconds and self.timeout_seconds > self.interval_seconds:
            errors["timeout_seconds"] = _("the timeout may not be longer than the interval")
        window = settings and self.kind == self.Kind.PROMETHEUS and promql.parse(settings.expression).shortest_window()
        if window and self.interval_seconds and self.interval_seconds >= window:
            errors["interval_seconds"] = _("rate() compares two scrapes within its window of %(seconds)d s: "
                                           "the interval must be shorter") % {"seconds": window}
        if errors:
            raise ValidationError(errors)


class ProbeResult(models.Model):
    """One reading, kept for a short time (probes/history.py RAW_KEPT)."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="results")
    # The slot on the probe's grid this reading belongs to: one reading per slot.
    at = models.DateTimeField()
    ok = models.BooleanField()
    latency_ms = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["probe", "at"], name="detection_probe_result_per_slot")]
        verbose_name = _("probe result")
        verbose_name_plural = _("probe results")

    def __str__(self):
        return f"{self.probe} {self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'failed'}"


class ProbeChange(models.Model):
    """The readings changed the probe's observed state (flap damping counts these)."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    observed = models.CharField(max_length=10, choices=Probe.State.choices)
    # The state shown after flap damping.
    state = models.CharField(max_length=10, choices=Probe.State.choices)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["probe", "at"], name="detection_probe_change_at")]
        verbose_name = _("probe state change")
        verbose_name_plural = _("probe state changes")

    def __str__(self):
        return f"{self.probe} {self.at:%Y-%m-%d %H:%M:%S} → {self.state}"


class ProbeRollup(models.Model):
    """The readings of one hour or one day, summed up (kept a year)."""

    class Period(models.TextChoices):
        HOUR = "hour", _("hour")
        DAY = "day", _("day")

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="rollups")
    period = models.CharField(max_length=4, choices=Period.choices)
    start = models.DateTimeField()
    count = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    latency_avg_ms = models.FloatField(null=True, blank=True)
    latency_max_ms = models.FloatField(null=True, blank=True)
    latency_p95_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        constraints = [models.UniqueConstraint(fields=["probe", "period", "start"], name="detection_probe_rollup_once")]
        verbose_name = _("probe rollup")
        verbose_name_plural = _("probe rollups")

    def __str__(self):
        return f"{self.probe} {self.period} {self.start:%Y-%m-%d %H:%M}"
