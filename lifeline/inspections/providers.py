"""Where automatic inspection items get their answer, without inspections importing the apps
that know it.

A provider reads one kind of source (a detection probe, a backup job) and says whether it
passes now. Inspections registers the probes itself (it sits above detection); an app above
inspections (backups) registers its own in its AppConfig.ready():

    from lifeline.inspections import providers

    providers.register("backup", providers.Provider(_("Backup job"), job_choices, read_job))

`choices()` lists what an item may point at as (source, label); `read(source)` gives the
reading now, or None when the source is gone (the item then fails: nobody can vouch for it).
Registering a name again replaces the earlier provider.
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Reading:
    passed: bool
    text: str  # what was read, in the reader's language (正常, 故障 · 3 次失败)


@dataclass(frozen=True)
class Provider:
    label: str
    choices: Callable[[], list[tuple[str, str]]]
    read: Callable[[str], Reading | None]


_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider):
    _providers[name] = provider


def known() -> dict[str, Provider]:
    return dict(_providers)


def read(name: str, source: str) -> Reading:
    """The reading of one automatic item; a provider or source that is gone reads as failed."""
    provider = _providers.get(name)
    found = provider.read(source) if provider else None
    return found or Reading(False, _("source not found: %(source)s") % {"source": f"{name}:{source}"})


def _probe_choices() -> list[tuple[str, str]]:
    from lifeline.detection.models import Probe

    return [(str(pk), name) for pk, name in Probe.objects.filter(enabled=True).values_list("pk", "name")]


def _read_probe(source: str) -> Reading | None:
    from lifeline.detection.models import Probe

    probe = Probe.objects.filter(pk=int(source)).first() if source.isdigit() else None
    if probe is None:
        return None
    text = probe.get_state_display()
    if probe.last_value is not None:
        text += f" · {probe.last_value:g}"
    if probe.state != Probe.State.UP and probe.last_error:
        text += f" · {probe.last_error[:100]}"
    return Reading(probe.state == Probe.State.UP, text)


def register_probes():
    register("probe", Provider(gettext_lazy("Probe"), _probe_choices, _read_probe))
