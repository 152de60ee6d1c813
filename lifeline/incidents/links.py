"""An incident as apps beside incidents see it (core.incident_links), registered in ready()."""
from functools import partial

from django.urls import reverse
from django.utils.translation import gettext as _

from lifeline.core.incident_links import Described
from lifeline.incidents import timeline
from lifeline.incidents.models import Incident, TimelineEntry
from lifeline.incidents.wording import in_plan_language


def describe(incident_id) -> Described | None:
    try:
        incident = Incident.objects.select_related("plan_version").filter(pk=int(incident_id)).first()
    except (TypeError, ValueError):
        return None
    if incident is None:
        return None
    return Described(reference=str(incident), url=reverse("incidents:detail", args=[incident.pk]),
                     drill=incident.is_drill, open=incident.is_open, record=partial(_record_mode, incident))


def _record_mode(incident: Incident, message: str, params: dict, actor):
    """`message` (a msgid, marked with gettext_noop) % params on the timeline, in the plan's language."""
    with in_plan_language(incident):
        timeline.record(incident, TimelineEntry.Kind.MODE, _(message) % params, actor)
