"""Pages: the integrations (receiver URL shown once at creation) and the silences. Readers see
them; those who run the monitoring and the incidents add and end them."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_manage_detection, can_read
from lifeline.core import clock
from lifeline.detection import integrations, unrouted
from lifeline.detection.alert_forms import IntegrationForm, SilenceForm
from lifeline.detection.models import AlertGroup, Integration, Silence

RECENT_GROUPS = 20
UNROUTED_SHOWN = 200


@can_read.page
def integration_list(request):
    may_manage = can_manage_detection(request.user)
    form = IntegrationForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(str(can_manage_detection.refusal))
        if form.is_valid():
            integration = form.save(commit=False)
            token = integrations.save_new(integration, request.user)
            return render(request, "detection/integration_created.html", {
                "integration": integration, "url": integrations.receiver_url(integration, token),
                "warnings": unrouted.routing_warnings(integration)})
    groups = AlertGroup.objects.select_related("incident", "component").order_by("-first_at")[:RECENT_GROUPS]
    return render(request, "detection/integrations.html", {
        "integrations": unrouted.describe(Integration.objects.select_related("component")), "form": form,
        "groups": unrouted.name_sources(list(groups)),
        "unrouted": unrouted.name_sources(list(unrouted.groups()[:UNROUTED_SHOWN]))})


@can_read.page
def silence_list(request):
    may_manage = can_manage_detection(request.user)
    form = SilenceForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(str(can_manage_detection.refusal))
        if form.is_valid():
            silence = form.save(commit=False)
            silence.created_by = request.user
            silence.save()
            messages.success(request, _("Silence saved."))
            return redirect("detection:silences")
    now = clock.now()
    return render(request, "detection/silences.html", {
        "current": Silence.objects.filter(ends_at__gt=now).select_related("component", "created_by"),
        "past": Silence.objects.filter(ends_at__lte=now).select_related("component", "created_by")[:20],
        "form": form, "now": now})


@require_POST
@can_manage_detection.page
def end_silence(request, silence_id):
    now = clock.now()
    silence = get_object_or_404(Silence, pk=silence_id, ends_at__gt=now)
    silence.starts_at, silence.ends_at = min(silence.starts_at, now), now
    silence.save(update_fields=["starts_at", "ends_at"])
    messages.success(request, _("Silence ended."))
    return redirect("detection:silences")
