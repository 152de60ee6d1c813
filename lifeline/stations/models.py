"""Emergency workstations (应急工作站) and what each holds; distribution is in distribution.py
and api.py. The tables keep the names they had before continuity was split (the models moved,
the data did not)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock
from lifeline.workstation import leases


class Station(models.Model):
    """An emergency workstation that downloads the newest snapshot chain with its own token and
    checks in with the packages it holds (StationCheckIn). `mode` is what the server declared
    for it (the command dashboard, /continuity/ or the API): the station hears it on its next
    pull and puts it in force."""

    class Mode(models.TextChoices):
        READY = "ready", _("ready")
        DOWNTIME = "downtime", _("downtime")
        DRILL = "drill", _("drill")

    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.CharField(_("department"), max_length=100)
    location = models.CharField(_("location"), max_length=200, blank=True)
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False,
                                      help_text=_("a revoked station's token no longer works"))
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True, editable=False)
    package_id = models.CharField(_("package applied"), max_length=64, blank=True, editable=False,
                                  help_text=_("the newest package the station applied to its base data"))
    package_built_at = models.DateTimeField(_("data as of"), null=True, blank=True, editable=False,
                                            help_text=_("when that package read the HIS"))
    checked_in_at = models.DateTimeField(_("last check-in"), null=True, blank=True, editable=False)
    client_version = models.CharField(_("client version"), max_length=40, blank=True, editable=False)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.READY, editable=False)
    mode_declared_by = models.CharField(_("mode declared by"), max_length=150, blank=True, editable=False)
    mode_declared_at = models.DateTimeField(_("mode declared at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("emergency workstation")
        verbose_name_plural = _("emergency workstations")
        db_table = "continuity_station"
        ordering = ["department", "name"]

    def __str__(self):
        return f"{self.name} ({self.department})"


class StationCheckIn(models.Model):
    """What a station said it holds, each time it checked in (machine records: not audited)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="check_ins",
                                verbose_name=_("emergency workstation"))
    at = models.DateTimeField(_("checked in at"), db_index=True)
    package_ids = models.JSONField(_("packages held"), default=list)
    applied = models.CharField(_("package applied"), max_length=64, blank=True)
    client_version = models.CharField(_("client version"), max_length=40, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("station check-in")
        verbose_name_plural = _("station check-ins")
        db_table = "continuity_stationcheckin"
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.station} {self.at:%Y-%m-%d %H:%M} {self.applied}"


class NumberLease(models.Model):
    """A range of numbers (号段) of one kind leased to one station: first..last, both included.
    Ranges of a kind never overlap, across all stations (leasing.py allocates them under a lock
    and `next_range`); a lease is never deleted, so its numbers are never leased again."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="leases",
                                verbose_name=_("emergency workstation"))
    kind = models.CharField(_("kind of number"), max_length=20, choices=list(leases.KINDS.items()))
    first = models.BigIntegerField(_("first number"))
    last = models.BigIntegerField(_("last number"))
    leased_at = models.DateTimeField(_("leased at"), default=clock.now)

    class Meta:
        verbose_name = _("number lease")
        verbose_name_plural = _("number leases")
        ordering = ["kind", "first"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "first"], name="stations_lease_kind_first_unique"),
            models.CheckConstraint(condition=models.Q(first__lte=models.F("last")),
                                   name="stations_lease_first_le_last"),
        ]

    def __str__(self):
        return f"{self.lease_id} {self.kind} {self.first}-{self.last}"

    @property
    def lease_id(self) -> str:
        return f"srv-{self.pk}"


class LeaseLock(models.Model):
    """One row per kind of number, locked (SELECT … FOR UPDATE) while a range of that kind is
    allocated, so two stations asking at once are served one after the other."""

    kind = models.CharField(max_length=20, primary_key=True)

    class Meta:
        verbose_name = _("lease lock")

    def __str__(self):
        return self.kind


class EmergencyCredential(models.Model):
    """A person's emergency credential (应急账号) for the stations: sent to every station, signed,
    as DIR/operators.json on its pull (credentials.py). Only the password's hash is stored and
    sent; the station accepts it only in downtime or a drill, and until `valid_until`. `stations`:
    the stations it is sent to, none chosen meaning every station (a cover cashier works anywhere;
    a pharmacist only at the pharmacy's stations)."""

    class Role(models.TextChoices):
        REGISTRAR = "registrar", _("registration")
        CASHIER = "cashier", _("cashier")
        PHARMACIST = "pharmacist", _("pharmacist")

    code = models.CharField(_("staff number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role at the window"), max_length=20, choices=Role.choices)
    supervisor = models.BooleanField(_("supervisor"), default=False,
                                     help_text=_("may declare downtime on a station with this credential"))
    password = models.CharField(_("password"), max_length=200, editable=False)
    valid_until = models.DateTimeField(_("valid until"))
    stations = models.ManyToManyField(Station, blank=True, related_name="emergency_credentials",
                                      verbose_name=_("valid on stations"),
                                      help_text=_("none chosen: valid on every station"))

    class Meta:
        verbose_name = _("emergency credential")
        verbose_name_plural = _("emergency credentials")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"
