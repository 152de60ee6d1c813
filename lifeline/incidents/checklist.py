"""An incident's scenario (场景处置): its steps as a checklist, its timers and duty cards started,
and its decision tree answered. Plain functions; every action is on the timeline.

Every action here is atomic and locks the incident first (locking.locked), then the
checklist item; a scenario is started once per incident. Starting one sets its timers
(timers.schedule_plan_timers), a timer per step with a due time that pages its owner if the
step is still open then (escalation.schedule_overdue_step; done or skipped, the step's
timers stop), and switches on its duty cards (cards.activate_cards): this module imports
those, never lifecycle or firing (which call `start_scenario`).
"""
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.incidents.cards import activate_cards
from lifeline.incidents.escalation import schedule_overdue_step
from lifeline.incidents.locking import locked, require_open
from lifeline.incidents.models import ChecklistItem, Incident, TimelineEntry, TreeAnswer
from lifeline.incidents.roles import find_member
from lifeline.incidents.timeline import record
from lifeline.incidents.timers import cancel_step_timers, schedule_plan_timers
from lifeline.incidents.wording import in_plan_language
from lifeline.people.models import Member
from lifeline.plans import schema


def _scenario(incident: Incident, scenario_id: str) -> schema.Scenario:
    found = next((s for s in incident.plan.scenarios if s.id == scenario_id), None)
    if found is None:
        raise Refused("scenario", _("unknown scenario %(id)s") % {"id": scenario_id})
    return found


def start_scenario(incident: Incident, scenario_id: str, user=None) -> Incident:
    """Start a scenario: its steps become the checklist, its timers are set, its duty cards activate."""
    with transaction.atomic():
        incident = locked(incident)
        require_open(incident)
        scenario = _scenario(incident, scenario_id)
        if incident.checklist.filter(scenario_id=scenario_id).exists():
            raise Refused("scenario", _("scenario %(id)s has already been started") % {"id": scenario_id})
        now = clock.now()
        first = incident.checklist.count() + 1
        previous, items = None, []
        for order, step in enumerate(scenario.steps, start=first):
            items.append(ChecklistItem.objects.create(
                incident=incident, scenario_id=scenario.id, step_id=step.id, title=step.title[:300],
                detail=step.detail, owner_role=step.owner or "", order=order,
                after=step.after if step.after is not None else ([previous] if previous else []),
                due_at=schema.deadline_after(now, step.due) if step.due else None,
                assignee=find_member(step.owner)))
            previous = step.id
        incident.scenario_id = scenario.id
        incident.save(update_fields=["scenario_id"])
        with in_plan_language(incident):
            record(incident, TimelineEntry.Kind.SCENARIO,
                   _("Scenario started: %(name)s") % {"name": scenario.name}, user,
                   scenario=scenario.id, steps=len(scenario.steps))
            schedule_plan_timers(incident, scenario)
            for item in items:
                schedule_overdue_step(incident, item)
            activate_cards(incident, scenario.duty_cards, user)
    return incident


def _item(incident: Incident, item_id) -> ChecklistItem:
    item = incident.checklist.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise Refused("item", _("no checklist item %(id)s in this incident") % {"id": item_id})
    return item


def waiting_on(items) -> dict[int, list[str]]:
    """The open steps that must wait, by id, with the titles of the steps they come after that are
    still open (neither done nor skipped). `items` holds every step the `after` ids may name."""
    still_open = {(i.scenario_id, i.step_id): i.title for i in items if i.status == ChecklistItem.Status.OPEN}
    found = {}
    for item in items:
        titles = [still_open[(item.scenario_id, s)] for s in item.after if (item.scenario_id, s) in still_open]
        if titles and item.status == ChecklistItem.Status.OPEN:
            found[item.pk] = titles
    return found


@transaction.atomic
def tick(incident: Incident, item_id, user=None) -> ChecklistItem:
    """Mark a step done; the steps it comes after must be done or skipped first."""
    incident = locked(incident)
    require_open(incident)
    item = _item(incident, item_id)
    if item.status != ChecklistItem.Status.OPEN:
        raise Refused("item", _("this step is already %(status)s") % {"status": item.get_status_display()})
    waiting = waiting_on(incident.checklist.filter(scenario_id=item.scenario_id)).get(item.pk)
    if waiting:
        raise Refused("item", _("first finish: %(steps)s") % {"steps": "; ".join(waiting)})
    return _close_item(incident, item, ChecklistItem.Status.DONE, "", user)


@transaction.atomic
def skip(incident: Incident, item_id, reason: str, user=None) -> ChecklistItem:
    if not (reason or "").strip():
        raise Refused("reason", _("say why the step is skipped"))
    incident = locked(incident)
    require_open(incident)
    item = _item(incident, item_id)
    if item.status != ChecklistItem.Status.OPEN:
        raise Refused("item", _("this step is already %(status)s") % {"status": item.get_status_display()})
    return _close_item(incident, item, ChecklistItem.Status.SKIPPED, reason.strip()[:500], user)


def _close_item(incident, item, status, reason, user):
    item.status, item.reason, item.done_at = status, reason, clock.now()
    item.done_by = user if getattr(user, "is_authenticated", False) else None
    item.save(update_fields=["status", "reason", "done_at", "done_by"])
    cancel_step_timers(incident, item.pk)
    with in_plan_language(incident):
        text = (_("Step done: %(title)s") if status == ChecklistItem.Status.DONE
                else _("Step skipped: %(title)s")) % {"title": item.title}
        if reason:  # the reason in brackets, as the plan's language writes them (full-width in Chinese)
            text = pgettext("a name with a note", "%(name)s (%(note)s)") % {"name": text, "note": reason}
        record(incident, TimelineEntry.Kind.CHECKLIST, text, user, step=item.step_id, status=status)
    return item


@transaction.atomic
def reassign(incident: Incident, item_id, member: Member, user=None) -> ChecklistItem:
    incident = locked(incident)
    require_open(incident)
    item = _item(incident, item_id)
    item.assignee = member
    item.save(update_fields=["assignee"])
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.CHECKLIST,
               _("Step %(title)s given to %(member)s") % {"title": item.title, "member": member}, user,
               step=item.step_id, member=member.pk)
    return item


def tree_position(incident: Incident) -> schema.Node | None:
    """The decision tree's node the incident is at (None: its scenario has no tree)."""
    scenario = incident.scenario
    if not scenario or not scenario.decision_tree:
        return None
    tree = scenario.decision_tree
    last = incident.tree_answers.filter(scenario_id=scenario.id).order_by("-at", "-pk").first()
    node_id = last.next_node if last else tree.start
    return next(n for n in tree.nodes if n.id == node_id)


@transaction.atomic
def answer(incident: Incident, node_id: str, given: str, user=None) -> schema.Node:
    """Answer the current question of the decision tree; returns the node it leads to."""
    incident = locked(incident)
    require_open(incident)
    node = tree_position(incident)
    if node is None:
        raise Refused("node", _("the incident's scenario has no decision tree"))
    if node.id != node_id:
        raise Refused("node", _("the current question is %(node)s, not %(given)s")
                      % {"node": node.id, "given": node_id})
    if not node.answers:
        raise Refused("node", _("the decision tree has ended here: %(action)s") % {"action": node.action})
    chosen = next((a for a in node.answers if a.answer == given), None)
    if chosen is None:
        raise Refused("answer", _("answer one of: %(answers)s")
                      % {"answers": " / ".join(a.answer for a in node.answers)})
    TreeAnswer.objects.create(incident=incident, scenario_id=incident.scenario_id, node_id=node.id,
                              question=node.question, answer=given, next_node=chosen.next, at=clock.now(),
                              by=user if getattr(user, "is_authenticated", False) else None)
    following = next(n for n in incident.scenario.decision_tree.nodes if n.id == chosen.next)
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.TREE, f"{node.question} → {given}", user,
               node=node.id, answer=given)
        if following.action:
            record(incident, TimelineEntry.Kind.TREE, _("Do: %(action)s") % {"action": following.action}, user,
                   node=following.id, owner=following.owner)
    return following
