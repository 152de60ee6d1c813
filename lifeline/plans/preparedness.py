"""Which of a plan's preparedness measures are backed by a running check, without plans importing
the apps that run them.

A plan's `preparedness` items (kind backup, dr, inspection, spare_parts, power, security …) are
words until an app above plans checks them: a backup job whose copies are scanned, an inspection
checklist done every morning, a spare-parts stock with its minimum. Those apps register here, per
kind, in their AppConfig.ready():

    from lifeline.plans import preparedness

    preparedness.register("inspection", inspections_backing)  # (plan_id, measure) -> Backing | None

The plan page asks `backings()` for every measure on each request (nothing is cached) and shows
"由运行中的检查支撑：…" with a link, or "仅纸面" (paper only). A kind no installed app registers for is
always paper only. Registering a kind again replaces the earlier callable; the kinds are the plan
schema's own, so a typo fails at start-up, not on the page.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import get_args

from lifeline.plans import schema

KINDS = get_args(schema.Measure.model_fields["kind"].annotation)


@dataclass(frozen=True)
class Backing:
    """What keeps a measure true: a checklist, a backup job, a stock line (in the reader's language)."""

    what: str
    url: str = ""


Check = Callable[[str, schema.Measure], Backing | None]

_checks: dict[str, Check] = {}


def register(kind: str, check: Check):
    if kind not in KINDS:
        raise ValueError(f"plans have no preparedness kind {kind!r} (known: {', '.join(KINDS)})")
    _checks[kind] = check


def backing(plan_id: str, measure: schema.Measure) -> Backing | None:
    """The running check behind `measure` of plan `plan_id`, or None when it is paper only."""
    check = _checks.get(measure.kind)
    return check(plan_id, measure) if check else None


def backings(plan_id: str, measures: list[schema.Measure]) -> dict[str, Backing | None]:
    """backing() for each measure, by measure id (ids are unique within a plan: the linter says so)."""
    return {m.id: backing(plan_id, m) for m in measures}
