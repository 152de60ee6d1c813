"""What can be done to a cutover, as plain functions: each checks first, changes nothing when
it refuses (Refused naming the field), and writes its line on the timeline."""
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.cutover.models import Cutover, Event, GoCheck, Rehearsal, Task


def record(cutover: Cutover, text: str, user=None) -> Event:
    """A line on the cutover's timeline, at the clock's time."""
    text = (text or "").strip()
    if not text:
        raise Refused("text", _("Say what happened"))
    return Event.objects.create(cutover=cutover, text=text[:300], by=_user(user), at=clock.now())


@transaction.atomic
def add_task(cutover: Cutover, user=None, *, title, unit, owner, deadline, depends_on=()) -> Task:
    foreign = [t for t in depends_on if t.cutover_id != cutover.pk]
    if foreign:
        raise Refused("depends_on", _("A task can only depend on tasks of the same cutover"))
    task = Task.objects.create(cutover=cutover, title=title, unit=unit, owner=owner, deadline=deadline)
    task.depends_on.set(depends_on)
    record(cutover, _("Task added: %(task)s (%(unit)s, %(owner)s)") % {"task": title, "unit": unit, "owner": owner},
           user)
    return task


@transaction.atomic
def set_task_status(task: Task, status: str, user=None) -> Task:
    """Move a task to `status`; done only once every task it depends on is done."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if status not in Task.Status.values:
        raise Refused("status", _("Unknown status %(status)s") % {"status": status})
    if status == Task.Status.DONE:
        waiting = [t.title for t in task.depends_on.exclude(status=Task.Status.DONE)]
        if waiting:
            raise Refused("status", _("Not done yet, it depends on: %(tasks)s") % {"tasks": "、".join(waiting)},
                          status=409)
    elif task.needed_by.filter(status=Task.Status.DONE).exists():
        raise Refused("status", _("A task that depends on this one is already done"), status=409)
    task.status = status
    task.done_at, task.done_by = (clock.now(), _user(user)) if status == Task.Status.DONE else (None, None)
    task.save()
    record(task.cutover, _("%(task)s: %(status)s") % {"task": task.title, "status": task.get_status_display()}, user)
    return task


def add_check(cutover: Cutover, question: str, user=None) -> GoCheck:
    question = (question or "").strip()
    if not question:
        raise Refused("question", _("Write the go/no-go item"))
    check = GoCheck.objects.create(cutover=cutover, question=question[:200])
    record(cutover, _("Go/no-go item added: %(item)s") % {"item": check.question}, user)
    return check


def sign_check(check: GoCheck, answer: bool, user, note: str = "") -> GoCheck:
    """Answer a go/no-go item yes or no; the signer is the user, at the clock's time."""
    check.answer, check.signed_by, check.signed_at, check.note = answer, _user(user), clock.now(), (note or "")[:200]
    check.save()
    record(check.cutover, _("%(item)s: %(answer)s") % {"item": check.question,
                                                       "answer": _("yes") if answer else _("no")}, user)
    return check


# The moves of a cutover's status, and what each needs.
MOVES = {
    Cutover.Status.CUTTING_OVER: (Cutover.Status.PREPARING,),
    Cutover.Status.LIVE: (Cutover.Status.CUTTING_OVER,),
    Cutover.Status.FALLEN_BACK: (Cutover.Status.CUTTING_OVER, Cutover.Status.LIVE),
}


@transaction.atomic
def move(cutover: Cutover, status: str, user=None) -> Cutover:
    """Go (cutting over, only when every go/no-go item is signed yes), live, or fall back."""
    cutover = Cutover.objects.select_for_update().get(pk=cutover.pk)
    if status not in MOVES or cutover.status not in MOVES[status]:
        raise Refused("status", _("A cutover that is %(now)s cannot become %(next)s") % {
            "now": cutover.get_status_display(), "next": Cutover.Status(status).label
            if status in Cutover.Status.values else status}, status=409)
    if status == Cutover.Status.CUTTING_OVER:
        checks = list(cutover.checks.all())
        if not checks:
            raise Refused("status", _("No go/no-go items yet: add and sign them first"), status=409)
        open_items = [c.question for c in checks if c.answer is not True]
        if open_items:
            raise Refused("status", _("Not every go/no-go item is signed yes: %(items)s")
                          % {"items": "、".join(open_items)}, status=409)
    cutover.status = status
    cutover.save(update_fields=["status"])
    record(cutover, _("Cutover status: %(status)s") % {"status": cutover.get_status_display()}, user)
    return cutover


def add_rehearsal(cutover: Cutover, user=None, *, started_at, ended_at, table_rows: dict, problems="") -> Rehearsal:
    if ended_at <= started_at:
        raise Refused("ended_at", _("The end must be after the start"))
    bad = [name for name, rows in table_rows.items() if not str(name).strip() or not isinstance(rows, int)
           or rows < 0]
    if bad:
        raise Refused("table_rows", _("Row counts must be whole numbers of 0 or more: %(tables)s")
                      % {"tables": ", ".join(map(str, bad))})
    rehearsal = Rehearsal.objects.create(cutover=cutover, started_at=started_at, ended_at=ended_at,
                                         table_rows=table_rows, problems=problems)
    record(cutover, _("Migration rehearsal recorded: %(minutes).0f min, %(rows)s rows")
           % {"minutes": rehearsal.seconds / 60, "rows": rehearsal.rows}, user)
    return rehearsal


def attach_comparison(rehearsal: Rehearsal, summary: list[dict]) -> Rehearsal:
    """Keep a data comparison's per-table summary with the rehearsal it checked."""
    rehearsal.comparison = summary
    rehearsal.save(update_fields=["comparison"])
    differences = sum(table["differences"] for table in summary)
    record(rehearsal.cutover, _("Data comparison attached to the rehearsal of %(when)s: %(count)s differences")
           % {"when": f"{rehearsal.started_at:%Y-%m-%d %H:%M}", "count": differences})
    return rehearsal


def _user(user):
    return user if user is not None and user.is_authenticated else None
