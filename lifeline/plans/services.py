"""Loading plan files into versions, and choosing which version of a plan is active.

A plan file is linted before anything is stored; one problem in any file of a load stores
nothing at all. Loading a text that is already stored returns that version again.
"""
import hashlib
from pathlib import Path

import yaml
from django.db import transaction

from lifeline.core import clock
from lifeline.core.signals import plan_activated
from lifeline.plans import lint, schema
from lifeline.plans.models import Plan, PlanVersion

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"


class PlanInvalid(Exception):
    """A plan file has problems; `problems` lists every one (file, line, field, reason)."""

    def __init__(self, problems: list[lint.Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_files(paths, user=None, activate=True) -> list[PlanVersion]:
    """Load plan files: all of them, or (if any has a problem) none; raises PlanInvalid."""
    texts = []
    problems = []
    for path in paths:
        found = lint.check_file(path)
        problems += found
        if not found:
            texts.append((Path(path).read_text(encoding="utf-8"), str(path)))
    if problems:
        raise PlanInvalid(problems)
    return _store_all(texts, user, make_active=activate)


def load_text(text: str, filename: str = "<upload>", user=None, activate=True) -> PlanVersion:
    """Load one plan given as YAML text (an upload); raises PlanInvalid."""
    problems = lint.check_text(text, filename)
    if problems:
        raise PlanInvalid(problems)
    return _store_all([(text, filename)], user, make_active=activate)[0]


def read_plan(path) -> schema.Plan:
    """A plan file as a plan, without storing it; raises PlanInvalid."""
    problems = lint.check_file(path)
    if problems:
        raise PlanInvalid(problems)
    return _parse(Path(path).read_text(encoding="utf-8"))


def _parse(text: str) -> schema.Plan:
    return schema.Plan.model_validate(yaml.safe_load(text))


@transaction.atomic
def _store_all(texts, user, make_active: bool) -> list[PlanVersion]:
    return [_store(text, user, make_active) for text, _filename in texts]


def _store(text: str, user, make_active: bool) -> PlanVersion:
    content = _parse(text)
    plan, _created = Plan.objects.select_for_update().get_or_create(
        id=content.id, defaults=_plan_fields(content))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    version = plan.versions.filter(sha256=digest).first()
    if version is None:
        last = plan.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = PlanVersion.objects.create(
            plan=plan, number=last + 1, source=text, sha256=digest,
            data=content.model_dump(mode="json"), loaded_by=user)
    # A plan always has one active version, so its first one is active whatever was asked.
    if make_active or not plan.versions.filter(is_active=True).exists():
        version = activate(version, user)
    return version


def _plan_fields(content: schema.Plan) -> dict:
    return {"name": content.name, "organisation": content.organisation, "language": content.language}


@transaction.atomic
def activate(version: PlanVersion, user=None) -> PlanVersion:
    """Make `version` the one active version of its plan; the others stay as history.

    Rows are saved one by one (not updated in bulk) so each change reaches the audit log. The
    plan's groups become its teams (core.signals.plan_activated).
    """
    plan = Plan.objects.select_for_update().get(pk=version.plan_id)
    version = plan.versions.get(pk=version.pk)
    if not version.is_active:
        # Switch the old one off first: the database allows one active version per plan.
        for old in plan.versions.filter(is_active=True):
            old.is_active = False
            old.save(update_fields=["is_active"])
        version.is_active, version.activated_at, version.activated_by = True, clock.now(), user
        version.save(update_fields=["is_active", "activated_at", "activated_by"])
    fields = _plan_fields(version.content)
    if any(getattr(plan, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
    _announce(version.content)
    return version


def _announce(content: schema.Plan):
    """Tell the apps that follow the active plan (people: the plan's groups become its teams)."""
    groups = [{"code": g.id, "name": g.name, "kind": g.kind, "parent": g.parent, "lead": g.lead,
               "core": g.members.core, "backup": g.members.backup, "duties": list(g.duties)} for g in content.groups]
    plan_activated.send(sender=Plan, plan_id=content.id, plan_name=content.name, groups=groups)


def active_version(plan_id: str) -> PlanVersion:
    """The active version of a plan; raises PlanVersion.DoesNotExist."""
    return PlanVersion.objects.select_related("plan").get(plan_id=plan_id, is_active=True)


def active_plans() -> list[PlanVersion]:
    return list(PlanVersion.objects.select_related("plan").filter(is_active=True).order_by("plan_id"))


def bundled_paths() -> list[Path]:
    return sorted(BUNDLED_DIR.glob("*.yaml"))


def load_bundled(user=None) -> list[PlanVersion]:
    return load_files(bundled_paths(), user=user)
