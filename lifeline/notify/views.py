"""Notification pages: the delivery log, a test message to a channel, and the public
acknowledgement page people reach from a notification."""
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_notify, can_read, public
from lifeline.incidents.wording import in_plan_language
from lifeline.notify import delivery, links
from lifeline.notify.models import Delivery, DeliveryAttempt, SinkMessage
from lifeline.people.models import ContactChannel

PAGE_SIZE = 50
CHECKS_SHOWN = 10


class LogFilter(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("any status")), *Delivery.Status.choices])
    kind = forms.CharField(label=gettext_lazy("Channel"), required=False, max_length=20)
    incident = forms.IntegerField(label=gettext_lazy("Incident"), required=False, min_value=1)

    def deliveries(self):
        found = Delivery.objects.select_related("message__incident", "message__member").prefetch_related("attempts")
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("status"):
            found = found.filter(status=data["status"])
        if data.get("kind"):
            found = found.filter(attempts__kind=data["kind"]).distinct()
        if data.get("incident"):
            found = found.filter(message__incident_id=data["incident"])
        return found


SINK_SHOWN = 200


@can_read.page
def sink(request):
    """What reached the local sink (sink:// channels, the demo's contacts): the newest first."""
    return render(request, "notify/sink.html", {"messages_kept": SinkMessage.objects.all()[:SINK_SHOWN],
                                                "count": SinkMessage.objects.count()})


@can_read.page
def log(request):
    form = LogFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, _("%(field)s: %(errors)s") % {"field": form.fields[field].label,
                                                                  "errors": " ".join(errors)})
    page = Paginator(form.deliveries(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    kinds = sorted({*ContactChannel.objects.values_list("kind", flat=True).distinct(), "email", "sms"})
    may_send = can_notify(request.user)
    return render(request, "notify/log.html", {
        "form": form, "page": page, "query": query.urlencode(), "kinds": kinds,
        "statuses": Delivery.Status.choices, "may_send": may_send,
        "channels": ContactChannel.objects.select_related("member") if may_send else [],
        "checks": DeliveryAttempt.objects.filter(delivery__isnull=True).select_related("channel")[:CHECKS_SHOWN],
    })


@transaction.non_atomic_requests  # the send waits on the network: no transaction held meanwhile
@require_POST
@can_notify.page
def check(request):
    """Send a test message to one channel now and say what it answered."""
    value = request.POST.get("channel", "")
    channel = ContactChannel.objects.select_related("member").filter(pk=value).first() if value.isdigit() else None
    if channel is None:
        messages.error(request, _("Channel: choose one of the channels listed."))
        return redirect("notify:log")
    attempt = delivery.send_check(channel)
    if attempt.ok:
        messages.success(request, _("Test message sent to %(channel)s.") % {"channel": channel})
    else:
        messages.error(request, _("Test message to %(channel)s failed: %(error)s")
                       % {"channel": channel, "error": attempt.error})
    return redirect("notify:log")


@public("the signed link in the notification is the credential")
def ack(request, token):
    """Public: GET only shows (chat apps open links to preview them); POST acknowledges.
    In the hospital's language, then in that of the incident's plan, like the message was."""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            incident, member = links.read(token)
        except links.LinkRefused as refused:
            return _refused(request, refused)
    with in_plan_language(incident):
        if request.method != "POST":
            return render(request, "notify/ack.html", {
                "incident": incident, "member": member, "already": links.already_acknowledged(incident, member)})
        try:
            done = links.acknowledge(incident, member)
        except links.LinkRefused as refused:
            return _refused(request, refused)
        return render(request, "notify/ack_done.html", {"done": done, "incident": done.incident, "member": member})


def _refused(request, refused):
    return render(request, "notify/ack_refused.html", {"reason": str(refused)}, status=400)
