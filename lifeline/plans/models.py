"""预案: plans and their versions.

A plan file is loaded as a new PlanVersion; a version never changes once stored, so what
a past incident followed can always be read again. The only thing that changes is which
version of a plan is active (exactly one), see services.activate.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from lifeline.core import clock
from lifeline.plans import schema


class Plan(models.Model):
    """One plan as the hospital knows it; its name and organisation follow the active version."""

    id = models.CharField(_("plan id"), max_length=64, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")

    class Meta:
        ordering = ["id"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return f"{self.name} ({self.id})"


class VersionImmutable(Exception):
    """A stored plan version was about to be changed or deleted."""


# What may change on a stored version: whether it is the active one, and since when.
ACTIVATION_FIELDS = {"is_active", "activated_at", "activated_by"}


class PlanVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        changed = set(kwargs) - ACTIVATION_FIELDS
        if changed:
            raise VersionImmutable(f"plan versions cannot be changed ({', '.join(sorted(changed))})")
        return super().update(**kwargs)

    def delete(self):
        raise VersionImmutable("plan versions are kept as history and cannot be deleted")


class PlanVersion(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions", verbose_name=_("plan"))
    number = models.PositiveIntegerField(_("version"))
    source = models.TextField(_("source (YAML)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    data = models.JSONField(_("validated plan"))
    loaded_at = models.DateTimeField(_("loaded at"), default=clock.now)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("loaded by"))
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("activated by"))

    objects = PlanVersionQuerySet.as_manager()
    Immutable = VersionImmutable

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plans_version_number_unique"),
            models.UniqueConstraint(fields=["plan", "sha256"], name="plans_version_text_unique"),
            models.UniqueConstraint(fields=["plan"], condition=Q(is_active=True), name="plans_one_active_version"),
        ]

    def __str__(self):
        return f"{self.plan_id} v{self.number}"

    def save(self, *args, update_fields=None, **kwargs):
        # Saving (not a queryset update) so the audit log sees activations too.
        if not self._state.adding and not (update_fields and set(update_fields) <= ACTIVATION_FIELDS):
            raise VersionImmutable("plan versions cannot be changed; load the changed file as a new version")
        super().save(*args, update_fields=update_fields, **kwargs)

    def delete(self, *args, **kwargs):
        raise VersionImmutable("plan versions are kept as history and cannot be deleted")

    @cached_property
    def content(self) -> schema.Plan:
        """The plan this version holds (the FK to the Plan row is `plan`)."""
        return schema.Plan.model_validate(self.data)


class DepartmentMapping(models.Model):
    """Which of the hospital's own departments a plan's card department is (挂号处 -> 门诊部).

    A plan names departments in its own words; the organisation's departments are its members'.
    A card department of the same name as an organisation department needs no row; one with
    several rows reaches each of them (plans.departments).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="department_mappings",
                             verbose_name=_("plan"))
    plan_department = models.CharField(_("department in the plan"), max_length=100)
    department = models.CharField(_("department of the hospital"), max_length=100)

    class Meta:
        ordering = ["plan", "plan_department", "pk"]
        verbose_name = _("department mapping")
        verbose_name_plural = _("department mappings")
        constraints = [models.UniqueConstraint(fields=["plan", "plan_department", "department"],
                                               name="plans_one_department_mapping")]

    def __str__(self):
        return f"{self.plan_id}: {self.plan_department} -> {self.department}"
