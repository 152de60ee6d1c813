"""A plan's groups become its teams: on every activation of a plan version (core.signals.plan_activated),
each group becomes or updates the Team of that plan and code, with the group's name, duties and core
and backup sizes. Teams are scoped to the plan, so two plans may both have `hq`.

A group the new version no longer has: its team is deleted when nobody is in it; otherwise it is
kept with no targets, and its description says so, so nobody is silently dropped from a team.
"""
import logging

from django.utils.translation import gettext as _

from lifeline.people.models import Team

log = logging.getLogger("lifeline.people")


def sync_plan_groups(*, plan_id: str, plan_name: str, groups: list[dict], **kwargs) -> list[Team]:
    """Create or update the plan's teams from its groups; returns them in the plan's order.

    Rows are saved one by one (not in bulk) so each change reaches the audit log.
    """
    teams = []
    existing = {team.code: team for team in Team.objects.filter(plan=plan_id)}
    for group in groups:
        team = existing.pop(group["code"], None) or Team(plan=plan_id, code=group["code"])
        wanted = {
            # The plan's texts have no length limit; the team's columns do.
            "plan_name": plan_name[:Team._meta.get_field("plan_name").max_length],
            "name": group["name"][:Team._meta.get_field("name").max_length],
            "description": "；".join(group.get("duties") or []),
            "core_target": group.get("core") or 0, "backup_target": group.get("backup") or 0,
        }
        if team.pk is None or any(getattr(team, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(team, field, value)
            team.save()
        teams.append(team)
    for gone in existing.values():
        if not gone.memberships.exists():
            gone.delete()
            continue
        note = _("No longer a group of the active plan.")
        if gone.core_target or gone.backup_target or gone.description != note:
            gone.core_target = gone.backup_target = 0
            gone.description = note
            gone.save()
        log.warning("team %s of plan %s is no longer in the plan but has members; kept", gone.code, plan_id)
    return teams
