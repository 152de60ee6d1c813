"""What the seed tests share: a seed's bundled plan file, parsed, and finding its parts."""
from pathlib import Path

import yaml

from lifeline.plans.schema import Plan

BUNDLED = Path(__file__).resolve().parents[2] / "lifeline/plans/bundled"


def bundled_file(seed: str) -> Path:
    """The bundled plan of a seed, by its number ("003")."""
    return next(BUNDLED.glob(f"{seed}_*.yaml"))


def read(path: Path) -> Plan:
    return Plan.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def scenario(plan: Plan, ident: str):
    return next(s for s in plan.scenarios if s.id == ident)
