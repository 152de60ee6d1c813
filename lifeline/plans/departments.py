"""A plan's card departments and the hospital's own (DepartmentMapping).

A card of department X reaches the organisation's departments X is mapped to, or, with no
mapping, the department of the same name. A card department that reaches no department any
member belongs to is unmatched: the plan page shows it as a problem to fix.
"""
import re

from django.db import transaction

from lifeline.core import departments as organisation
from lifeline.plans.models import DepartmentMapping, Plan

SEPARATORS = re.compile(r"[,，、;；\n]+")


def card_departments(content) -> list[str]:
    """The plan's card departments, in card order, each once."""
    return list(dict.fromkeys(card.department for card in content.duty_cards))


def mapping(plan_id: str) -> dict[str, list[str]]:
    """plan department -> the hospital departments it is mapped to (only mapped ones)."""
    found: dict[str, list[str]] = {}
    for plan_department, department in DepartmentMapping.objects.filter(plan_id=plan_id).values_list(
            "plan_department", "department"):
        found.setdefault(plan_department, []).append(department)
    return found


def reached(plan_id: str, plan_department: str, mapped: dict | None = None) -> list[str]:
    """The hospital departments a card of `plan_department` reaches."""
    mapped = mapping(plan_id) if mapped is None else mapped
    return mapped.get(plan_department) or [plan_department]


def table(plan_id: str, content) -> list[dict]:
    """One row per card department: what it reaches, and whether anyone works there."""
    mapped, known = mapping(plan_id), organisation.known()
    rows = []
    for plan_department in card_departments(content):
        targets = reached(plan_id, plan_department, mapped)
        missing = [d for d in targets if d not in known]
        rows.append({"plan_department": plan_department, "departments": targets,
                     "mapped": plan_department in mapped, "missing": missing, "matched": not missing})
    return rows


def unmatched(plan_id: str, content) -> list[str]:
    return [row["plan_department"] for row in table(plan_id, content) if not row["matched"]]


def split(text: str) -> list[str]:
    """'门诊部、财务处' -> ['门诊部', '财务处']."""
    return list(dict.fromkeys(part.strip() for part in SEPARATORS.split(text or "") if part.strip()))


@transaction.atomic
def set_mapping(plan_id: str, plan_department: str, departments) -> None:
    """Map one card department to these hospital departments (none: back to the same name).

    Rows are created and deleted one by one so each change reaches the audit log."""
    plan = Plan.objects.get(pk=plan_id)
    departments = list(dict.fromkeys(d for d in departments if d))
    wanted = [] if departments in ([], [plan_department]) else departments
    existing = {m.department: m for m in DepartmentMapping.objects.select_for_update().filter(
        plan=plan, plan_department=plan_department)}
    for department, row in existing.items():
        if department not in wanted:
            row.delete()
    for department in wanted:
        if department not in existing:
            DepartmentMapping.objects.create(plan=plan, plan_department=plan_department, department=department)
