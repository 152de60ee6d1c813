"""What apps beside incidents offer on an incident's page and the command dashboard, and what they
may learn of an incident, without either importing the other: incidents and stations are
siblings in the layers, core sits below both.

The stations app offers its action, in its AppConfig.ready():

    incident_links.offer("declare_downtime", Offer(_("Declare downtime …"), "stations:declare", can_manage_stations))

The incidents app says what an incident is, in its AppConfig.ready():

    incident_links.describe_with(describe)   # (incident_id) -> Incident described, or None

Pages list `offers(user)` (each links to its view with ?incident=ID); that view calls
`describe(incident_id)` to check the incident, name it in what it records and write on its
timeline. With the incidents app not installed, `describe` finds no incident. Offering a name
again replaces the earlier offer. A leaf: imports nothing of Lifeline.
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Offer:
    title: str  # the button's text (lazy translation)
    url_name: str  # the view, given ?incident=ID on an incident's page
    allowed: Callable  # (user) -> bool: the named policy that view checks too


@dataclass(frozen=True)
class Described:
    """An incident as another app may see it."""

    reference: str  # how people name it ("#12 挂号系统宕机", a drill marked)
    url: str  # its page
    drill: bool
    open: bool
    record: Callable  # (text, actor) -> None: a working-mode entry on its timeline


_offers: dict[str, Offer] = {}
_describe: list[Callable] = []


def offer(name: str, found: Offer):
    _offers[name] = found


def offers(user) -> list[Offer]:
    """The offers this user may take, in the order they were made."""
    return [found for found in _offers.values() if found.allowed(user)]


def describe_with(describe: Callable):
    _describe[:] = [describe]


def describe(incident_id) -> Described | None:
    """The incident, or None when there is no such incident (or no incidents app)."""
    return _describe[0](incident_id) if _describe else None
