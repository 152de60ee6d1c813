"""Sections other apps add to an incident's fault analysis, without the analysis importing them.

An app above analysis (the reconciliation's sign-off, 对账) registers a provider in its
AppConfig.ready(); `build()` asks every provider for the incident's sections and the page, the
PDF and the Word file print them after the actions. A provider returns [] when it has nothing
for the incident.
"""
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    heading: str
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (label, value), in print order


Provider = Callable[[object], list[Section]]  # incident -> its sections
_providers: list[Provider] = []


def register(provider: Provider):
    """Add a provider once (a second ready() of the same app changes nothing)."""
    if provider not in _providers:
        _providers.append(provider)


def of(incident) -> list[Section]:
    return [section for provider in _providers for section in provider(incident)]
