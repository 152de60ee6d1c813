"""Integrations: creating them (the token is shown once), their receiver URL, and routing.

Routing is what an information centre configures per monitoring system: a default plan,
scenario, level and component; the label naming the component (its key, name or a plan's name
for it); a map from the source's severity to the plan's level; the labels that group alerts.
"""
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from lifeline.detection.models import Integration, token_digest
from lifeline.plans.models import PlanVersion
from lifeline.status.models import Component


@transaction.atomic
def create_integration(*, kind: str, name: str, plan_id="", scenario_id="", level_id="", component_key="",
                       user=None) -> tuple[Integration, str]:
    """A new integration and its token (kept only as a digest). Raises ValidationError naming the field."""
    component = None
    if component_key:
        component = Component.objects.filter(key=component_key).first()
        if component is None:
            raise ValidationError({"component": _("no component with key %(key)s") % {"key": component_key}})
    integration = Integration(kind=kind, name=(name or "").strip(), plan_id=plan_id, scenario_id=scenario_id,
                              level_id=level_id, component=component)
    integration.full_clean(exclude=["token_hash"])
    check_routing(integration)
    return integration, save_new(integration, user)


def save_new(integration: Integration, user=None) -> str:
    """Store a checked new integration with a fresh token; returns the token (shown this once only)."""
    token = integration.new_token()
    integration.created_by = user if getattr(user, "is_authenticated", False) else None
    integration.save()
    return token


def check_routing(integration: Integration):
    """The plan, scenario and levels named must exist in the plan's active version; without a
    plan, each level of the severity map must be a level of some active plan (the plan an alert
    is routed to is known only when it comes; one without that level opens at its own)."""
    if not integration.plan_id:
        if integration.scenario_id or integration.level_id:
            raise ValidationError({"plan_id": _("a scenario or level needs its plan")})
        _check_levels_of_active_plans(integration)
        return
    version = PlanVersion.objects.filter(plan_id=integration.plan_id, is_active=True).first()
    if version is None:
        raise ValidationError({"plan_id": _("no active plan %(plan)s") % {"plan": integration.plan_id}})
    plan = version.content
    if integration.scenario_id and not any(s.id == integration.scenario_id for s in plan.scenarios):
        raise ValidationError({"scenario_id": _("plan %(plan)s has no scenario %(id)s")
                               % {"plan": plan.name, "id": integration.scenario_id}})
    levels = {lv.id for lv in plan.levels}
    for field, level in [("level_id", integration.level_id), *(
            ("severity_levels", lv) for lv in integration.severity_levels.values())]:
        if level and level not in levels:
            raise ValidationError({field: _("plan %(plan)s has no level %(id)s; it has %(known)s")
                                   % {"plan": plan.name, "id": level, "known": ", ".join(sorted(levels))}})


def _check_levels_of_active_plans(integration: Integration):
    levels = {lv.id for version in PlanVersion.objects.filter(is_active=True) for lv in version.content.levels}
    for level in integration.severity_levels.values():
        if levels and level not in levels:
            message = _("no active plan has a level %(id)s; their levels are %(known)s")
            raise ValidationError({"severity_levels": message % {"id": level, "known": ", ".join(sorted(levels))}})


@dataclass
class PlanLevels:
    """An active plan's levels and scenarios for the integration form: ids with names, levels
    most severe first, and a severity map its check accepts (critical → the most severe level,
    warning → the least)."""

    plan_id: str
    plan_name: str
    levels: list[tuple[str, str]]
    scenarios: list[tuple[str, str]]

    @property
    def example(self) -> dict[str, str]:
        return {"critical": self.levels[0][0], "warning": self.levels[-1][0]}


def levels_of_active_plans() -> list[PlanLevels]:
    found = []
    for version in PlanVersion.objects.filter(is_active=True).order_by("plan_id"):
        plan = version.content
        levels = sorted(plan.levels, key=lambda level: level.rank)
        found.append(PlanLevels(plan.id, plan.name, [(level.id, level.name) for level in levels],
                                [(scenario.id, scenario.name) for scenario in plan.scenarios]))
    return found


def receiver_url(integration: Integration, token: str) -> str:
    path = reverse("api:receive_alerts", kwargs={"kind": integration.kind, "token": token})
    return settings.LIFELINE_BASE_URL.rstrip("/") + path


def find(kind: str, token: str) -> Integration | None:
    """The enabled integration of that kind holding the token, if any."""
    return (Integration.objects.select_related("component")
            .filter(kind=kind, token_hash=token_digest(token), enabled=True).first())


@dataclass
class Route:
    component: Component | None
    level_id: str


class Router:
    """Routes one payload's alerts; the components are read once per payload, if a label names one."""

    def __init__(self, integration: Integration):
        self.integration = integration
        self.severity_levels = {k.lower(): v for k, v in integration.severity_levels.items()}

    @cached_property
    def components(self) -> dict[str, Component]:
        by_name = {}
        for component in Component.objects.all():
            for name in (component.key, *component.names):
                by_name.setdefault(name, component)
        return by_name

    def route(self, labels: dict) -> Route:
        integration = self.integration
        named = str(labels.get(integration.component_label, ""))
        severity = str(labels.get(integration.severity_label, "")).lower()
        return Route(component=named and self.components.get(named) or integration.component,
                     level_id=self.severity_levels.get(severity) or integration.level_id)

    def group_key(self, labels: dict, default: str) -> str:
        names = self.integration.group_labels()
        if not names:
            return default
        return ",".join(f"{name}={labels.get(name, '')}" for name in names)
