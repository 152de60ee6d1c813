"""Signals between apps that may not import each other.

`plan_activated`: sent by the plans app when a plan version becomes (or, loaded again, stays) the
active one, inside the same transaction. Keyword arguments, plain data only:

    plan_id    "internet_hospital"
    plan_name  "互联网医院系统瘫痪应急预案"
    groups     [{"code": "tech", "name": "技术组", "kind": "group", "parent": "hq", "lead": "tech_lead",
                 "core": 5, "backup": 3, "duties": ["故障排查与系统修复"]}, ...]

The people app turns the groups into the plan's teams (people/plan_teams.py). A receiver's error
is raised, so the activation is undone with it.
"""
from django.dispatch import Signal

plan_activated = Signal()
