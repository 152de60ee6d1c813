"""The incident's timeline (时间线): every action anywhere in the app is written here.

Invariant: append-only. `record` only ever adds an entry (the model refuses updates and
deletes); it writes in the caller's transaction, so an action that is rolled back leaves no
entry behind. Write it inside `wording.in_plan_language(incident)` so the text is in the
plan's language. A leaf: imports only the models.
"""
from lifeline.core import clock
from lifeline.incidents.models import TimelineEntry


def record(incident, kind, text, actor=None, **data) -> TimelineEntry:
    """Append to the timeline; `actor` is a user, or a name such as a worker's."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return TimelineEntry.objects.create(
        incident=incident, at=clock.now(), kind=kind, text=text, actor=user,
        actor_name="" if user else str(actor or "system"), data=data)
