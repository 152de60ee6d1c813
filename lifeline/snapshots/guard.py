"""What keeps a build from making the workstations' base data worse than the HIS (DESIGN's
invariant): limits a package must keep to be published, and the alarms a build raises.

    violations = guard.violations(mapping, manifest, replaced)   # [] or why the package is refused
    guard.report_refused(record, violations)    # the alarm that says why (and resolve_refused later)
    guard.report_ahead(record, ahead)           # rows stamped beyond the HIS's clock
    guard.report_drift(record, drift)           # a full build found the chain it replaces had drifted

Limits (per entity, the mapping's `limits`, defaults in mapping.Limits): rows left out for a
bad value (`max_skipped`), rows with a value emptied (`max_nulled`), the fewest rows
(`min_rows`), the most rows lost against the package it replaces (`max_shrink`: its parent for an
incremental, the newest package for a full one). A share is of the entity's rows in the HIS,
rounded up. A refused package is not published: the last good one stays, and the alarm
`snapshots:build / snapshot-refused` says why until a package is published again.

Alarms go through lifeline.core.alarms (continuity sits below detection).
"""
from django.utils.translation import gettext as _

from lifeline.core import alarms
from lifeline.his.mapping import Mapping

REFUSED = ("snapshots:build", "snapshot-refused")
AHEAD = ("continuity:watermark", "watermark-ahead")
DRIFT = ("continuity:drift", "snapshot-drift")


class BuildRefused(Exception):
    """The package broke a limit of the mapping; the message lists every one."""

    def __init__(self, violations: list[str]):
        super().__init__("\n".join(violations))
        self.violations = violations


def violations(mapping: Mapping, manifest: dict, replaced: dict | None) -> list[str]:
    """Why the package must not be published (empty: it may be). `replaced`: the manifest's
    entities of the package it replaces (None for the first)."""
    found = []
    for name, entry in manifest["entities"].items():
        limits = mapping.entities[name].limits
        his_rows, total = entry.get("his_rows", entry["total_rows"]), entry["total_rows"]
        left_out, nulled = max(his_rows - total, 0), entry.get("nulled", 0)
        where = f"entities.{name}.limits"
        for count, limit, text in (
                (left_out, "max_skipped", _("%(entity)s: %(count)s of its %(whole)s rows in the HIS left out for bad "
                                            "values (%(share)s), more than the %(allowed)s allowed (%(where)s)")),
                (nulled, "max_nulled", _("%(entity)s: %(count)s of its %(whole)s rows with a bad value emptied "
                                         "(%(share)s), more than the %(allowed)s allowed (%(where)s)"))):
            allowance = limits.allowed(limit)
            if count > allowance.of(his_rows):
                found.append(text % {"entity": name, "count": f"{count:,}", "whole": f"{his_rows:,}",
                                     "share": _share(count, his_rows), "allowed": allowance,
                                     "where": f"{where}.{limit}"})
        if total < limits.min_rows:
            found.append(_("%(entity)s: %(count)s rows, fewer than the %(least)s expected (%(where)s.min_rows)")
                         % {"entity": name, "count": f"{total:,}", "least": f"{limits.min_rows:,}", "where": where})
        before = (replaced or {}).get(name, {}).get("total_rows")
        allowance = limits.allowed("max_shrink")
        if before and before - total > allowance.of(before):
            found.append(_("%(entity)s: %(count)s rows, %(before)s in the package it replaces (%(share)s fewer), "
                           "more than the %(allowed)s allowed (%(where)s.max_shrink)")
                         % {"entity": name, "count": f"{total:,}", "before": f"{before:,}",
                            "share": _share(before - total, before), "allowed": allowance, "where": where})
    return found


def _share(count: int, whole: int) -> str:
    return f"{100 * count / whole:.1f}%" if whole else "-"


def _alarm(which: tuple[str, str], firing: bool, summary: str, labels: dict):
    source, fingerprint = which
    alarms.raise_alarm(source=source, fingerprint=fingerprint, firing=firing, summary=summary[:300], labels=labels)


def report_refused(record, found: list[str], kept: str):
    """The alarm of a refused package: what it broke, and which package stays published."""
    _alarm(REFUSED, True, _("Snapshot package %(package)s refused, %(kept)s stays published: %(why)s") % {
        "package": record.package_id, "kept": kept, "why": "; ".join(found)},
        {"package": record.package_id, "build": str(record.pk)})


def resolve_refused(record):
    _alarm(REFUSED, False, _("Snapshot package %(package)s published") % {"package": record.package_id},
           {"package": record.package_id, "build": str(record.pk)})


def report_ahead(record, ahead: dict):
    """Rows stamped beyond the HIS's clock (firing while a build finds any; resolved when one finds none)."""
    if ahead:
        entities = ", ".join(_("%(entity)s %(rows)s rows (newest %(newest)s, HIS clock %(clock)s)") % {
            "entity": name, "rows": f"{a['rows']:,}", "newest": a["newest"], "clock": a["clock"]}
            for name, a in ahead.items())
        _alarm(AHEAD, True, _("HIS rows stamped ahead of the HIS's clock: %(entities)s; the watermark is kept at the "
                              "clock and these rows are read again until the clock passes them") % {
            "entities": entities}, {"build": str(record.pk), "entities": ",".join(ahead)})
    else:
        _alarm(AHEAD, False, _("No HIS row is stamped ahead of the HIS's clock"), {"build": str(record.pk)})


def report_drift(record, drift: dict | None):
    """A full build's drift check: firing naming the entities whose chain differed from the HIS in
    ways its watermark did not show; resolved by a check that finds none (None: not checked)."""
    if drift is None:
        return
    drifted = {name: d for name, d in drift.items() if d["keys"]}
    if drifted:
        entities = ", ".join(_("%(entity)s %(keys)s keys") % {"entity": name, "keys": f"{d['keys']:,}"}
                             for name, d in drifted.items())
        _alarm(DRIFT, True, _("The snapshot chain had drifted from the HIS (%(entities)s differ from a fresh full "
                              "read, changes the watermark did not show): stations held wrong base data until "
                              "%(package)s; make the watermark cover every table the query reads") % {
            "entities": entities, "package": record.package_id or "-"},
            {"build": str(record.pk or ""), "entities": ",".join(drifted)})
    else:
        _alarm(DRIFT, False, _("The snapshot chain agrees with a fresh full read of the HIS"),
               {"build": str(record.pk or "")})
