"""What apps above status add to a component's state and to the status wall, without status
importing them.

Status sits below detection: detection's probes, alerts and receivers point at status
components, and alerts read maintenance windows. Yet a component's state depends on its probes,
and the wall shows them; so detection registers here, in its AppConfig.ready():

    from lifeline.status import sources

    sources.add_findings("probes", failing_probes)  # () -> iterable of Finding
    sources.add_wall_section("probes", probe_tiles)  # () -> JSON-able list for the wall's section
    sources.add_wall_section("unrouted", unrouted.wall_tiles)  # alert groups no plan routes (red)

Both are called on every request that needs them (nothing is cached). An app that is not
installed registers nothing: then no component fails for its reasons and its wall section is
empty. Registering a name again replaces the earlier callable.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# The wall's sections that other apps fill (status/wall.js draws them): empty until they do.
WALL_SECTIONS = ("probes", "unrouted")


@dataclass(frozen=True)
class Finding:
    """Something failing on a component, found by another app (a probe that is down, say)."""

    component_id: int
    state: str  # Component.State.OUTAGE or Component.State.DEGRADED
    why: str  # for staff (the wall, the liaison's page), in the reader's language


_findings: dict[str, Callable[[], Iterable[Finding]]] = {}
_wall: dict[str, Callable[[], list]] = {}


def add_findings(name: str, find: Callable[[], Iterable[Finding]]):
    _findings[name] = find


def add_wall_section(name: str, build: Callable[[], list]):
    if name not in WALL_SECTIONS:
        raise ValueError(f"the status wall has no section {name!r} (known: {', '.join(WALL_SECTIONS)})")
    _wall[name] = build


def findings() -> dict[int, list[Finding]]:
    """Every registered app's findings, by component id, in the order the apps found them."""
    found: dict[int, list[Finding]] = {}
    for find in _findings.values():
        for finding in find():
            found.setdefault(finding.component_id, []).append(finding)
    return found


def wall_sections() -> dict[str, list]:
    return {name: _wall[name]() if name in _wall else [] for name in WALL_SECTIONS}
