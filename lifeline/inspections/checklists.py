"""Making checklists and their items; the rules the page, the API and the plan offers share."""
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core.errors import Problem, Refused
from lifeline.inspections import providers
from lifeline.inspections.models import CheckItem, Checklist, Frequency


def create_checklist(*, name: str, frequency: str, due_time=None) -> Checklist:
    name = (name or "").strip()
    problems = []
    if not name:
        problems.append(Problem("name", _("name the checklist")))
    elif Checklist.objects.filter(name=name).exists():
        problems.append(Problem("name", _("a checklist of this name exists")))
    if frequency not in Frequency.values:
        problems.append(Problem("frequency", _("choose how often")))
    if problems:
        raise Refused.of(problems)
    due = {"due_time": due_time} if due_time else {}  # else the model's default
    return Checklist.objects.create(name=name[:100], frequency=frequency, **due)


def item_problems(*, title: str, reads: str = "", unit: str = "", low=None, high=None) -> list[Problem]:
    """What is wrong with an item as given; `reads` is "" (filled in by hand) or "provider:source"."""
    found = []
    if not (title or "").strip():
        found.append(Problem("title", _("name the item")))
    provider, _sep, source = (reads or "").partition(":")
    if reads and (provider not in providers.known()
                  or source not in dict(providers.known()[provider].choices())):
        found.append(Problem("reads", _("no such source of readings: %(reads)s") % {"reads": reads}))
    if (low is not None or high is not None) and not (unit or "").strip() and not reads:
        found.append(Problem("unit", _("give the unit the bounds are in")))
    if low is not None and high is not None and low > high:
        found.append(Problem("high", _("must not be below the lowest passing value")))
    return found


def add_item(checklist: Checklist, *, title: str, reads: str = "", unit: str = "", low=None, high=None,
             plan_id: str = "", measure_id: str = "") -> CheckItem:
    """An item at the end of the checklist: automatic when it reads a source, else manual."""
    problems = item_problems(title=title, reads=reads, unit=unit, low=low, high=high)
    if problems:
        raise Refused.of(problems)
    provider, _sep, source = (reads or "").partition(":")
    manual = not reads
    with transaction.atomic():
        last = checklist.items.order_by("-position").values_list("position", flat=True).first() or 0
        return CheckItem.objects.create(
            checklist=checklist, position=last + 1, title=title.strip()[:200],
            kind=CheckItem.Kind.MANUAL if manual else CheckItem.Kind.AUTOMATIC, provider=provider, source=source,
            unit=(unit or "").strip()[:16] if manual else "", low=low if manual else None,
            high=high if manual else None, plan_id=plan_id, measure_id=measure_id)


def reads_choices() -> list[tuple[str, str]]:
    """What an item can be filled in from: by hand, or each provider's sources."""
    found = [("", _("by hand (manual item)"))]
    for name, provider in providers.known().items():
        found += [(f"{name}:{source}", f"{provider.label} · {label}") for source, label in provider.choices()]
    return found
