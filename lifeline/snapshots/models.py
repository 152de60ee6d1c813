"""Snapshot builds and their problems. The tables keep the names they had before continuity was
split into snapshots and stations (the models moved, the data did not)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class SnapshotBuild(models.Model):
    """One attempt to build a snapshot package of the HIS base data, whatever its outcome."""

    class Kind(models.TextChoices):
        FULL = "full", _("full")
        INCREMENTAL = "incremental", _("incremental")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        PUBLISHED = "published", _("published")
        FAILED = "failed", _("failed")
        REFUSED = "refused", _("refused")  # read, but broke a limit of the mapping: not published

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(_("started by"), max_length=40, help_text=_("cli, worker or demo"))
    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    row_counts = models.JSONField(_("rows per entity"), default=dict, blank=True,
                                  help_text=_("rows in the package (changed rows for an incremental)"))
    deleted_counts = models.JSONField(_("deleted rows per entity"), default=dict, blank=True)
    total_counts = models.JSONField(_("rows per entity after applying"), default=dict, blank=True)
    skipped = models.JSONField(_("skipped rows"), default=list, blank=True,
                               help_text=_("entity, key, field and reason of each row left out (first 1,000)"))
    skipped_count = models.IntegerField(_("number of skipped rows"), default=0)
    nulled_count = models.IntegerField(_("number of values emptied"), default=0,
                                       help_text=_("bad values of optional fields emptied (on_invalid: null)"))
    problem_summary = models.JSONField(_("problems per entity and field"), default=list, blank=True,
                                       help_text=_("entity, field, outcome, count and an example"))
    watermark_ahead = models.JSONField(_("watermarks ahead of the HIS's clock"), default=dict, blank=True,
                                       help_text=_("per entity: rows stamped beyond the HIS's clock, the newest "
                                                   "stamp, the clock, example keys"))
    drift = models.JSONField(_("drift from the chain replaced"), null=True, blank=True,
                             help_text=_("per entity: keys whose rows differ from the chain this full package "
                                         "replaces, changes its watermark did not show (empty: none; not set: "
                                         "not checked)"))
    his_numbers = models.JSONField(
        _("HIS's next numbers"), null=True, blank=True,
        help_text=_("per kind of number the mapping's sequences name: the HIS's next number, read with the data "
                    "(null: not read, the build failed first); not set: the build never read its mapping"))
    error = models.TextField(_("error"), blank=True)
    note = models.TextField(_("note"), blank=True)
    package_id = models.CharField(_("package id"), max_length=64, db_index=True)
    path = models.CharField(_("package file"), max_length=500, blank=True)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
                               verbose_name=_("parent package"))
    mapping_path = models.CharField(_("mapping file"), max_length=500)
    mapping_sha256 = models.CharField(_("mapping hash"), max_length=64, blank=True)
    key_id = models.CharField(_("key id"), max_length=40, blank=True)
    pruned_at = models.DateTimeField(_("pruned at"), null=True, blank=True,
                                     help_text=_("when the package file was removed to keep only the last chains"))

    class Meta:
        verbose_name = _("snapshot build")
        verbose_name_plural = _("snapshot builds")
        db_table = "continuity_snapshotbuild"  # made before continuity was split (0001_initial)
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "kind", "started_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.package_id} ({self.get_status_display()})"


class BuildProblem(models.Model):
    """A row left out, or a value emptied, by a build (or the first rows a failed build stopped at):
    the list the HIS team fixes their data from (machine records: not audited)."""

    class Outcome(models.TextChoices):
        SKIPPED = "skipped", _("row left out")
        NULLED = "nulled", _("value emptied")
        FAILED = "failed", _("build failed")

    build = models.ForeignKey(SnapshotBuild, on_delete=models.CASCADE, related_name="problems",
                              verbose_name=_("snapshot build"))
    entity = models.CharField(_("entity"), max_length=40)
    key = models.CharField(_("row key"), max_length=200)
    field = models.CharField(_("field"), max_length=40)
    reason = models.CharField(_("reason"), max_length=500)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)

    class Meta:
        verbose_name = _("problem of a snapshot build")
        verbose_name_plural = _("problems of snapshot builds")
        db_table = "continuity_buildproblem"
        ordering = ["id"]
        indexes = [models.Index(fields=["build", "entity", "field"])]

    def __str__(self):
        return f"{self.entity} {self.key}: {self.field}: {self.reason}"
