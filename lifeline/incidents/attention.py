"""What apps above incidents ask the command dashboard to show in red, without incidents
importing them: things that need someone and that no incident stands for.

The detection app registers its alert groups that no plan routes (an alert that opened no
incident is otherwise only a line on the integrations page: a misrouted outage would be
invisible). It registers in its AppConfig.ready():

    from lifeline.incidents import attention

    attention.add("unrouted_alerts", unrouted_items)  # () -> iterable of attention.Item

The dashboard calls every registered callable on each refresh (nothing is cached). An app
that is not installed registers nothing. Registering a name again replaces the earlier
callable. A leaf: imports nothing of incidents.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Item:
    """One thing the command centre must look at, in the reader's language."""

    kind: str  # what sort of thing, for people ("未路由的告警")
    title: str  # what it is ("挂号：接口超时")
    why: str = ""  # why it needs someone (the reason no incident was opened)
    url: str = ""  # where to act on it
    since: datetime | None = None
    source: str = ""  # who raised it, for people (an integration's name)


_finders: dict[str, Callable[[], Iterable[Item]]] = {}


def add(name: str, find: Callable[[], Iterable[Item]]):
    _finders[name] = find


def items() -> list[Item]:
    """Every registered app's items, in the order each app gives them, apps in registration order."""
    return [item for find in _finders.values() for item in find()]
