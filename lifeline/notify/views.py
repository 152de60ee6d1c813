"""Notification pages: the delivery log, a test message to a channel, and the public
acknowledgement page people reach from a notification."""
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_notify, can_read, public
from lifeline.incidents.wording import in_plan_language
from lifeline.notify import delivery, links
from lifeline.notify.forms import ChannelCheckForm, LogFilter, channel_words
from lifeline.notify.models import DeliveryAttempt, SinkMessage
from lifeline.notify.templatetags.delivery_words import reason_of

PAGE_SIZE = 50
CHECKS_SHOWN = 10
SINK_SHOWN = 200


@can_read.page
def sink(request):
    """What reached the local sink (sink:// channels, the demo's contacts): the newest first."""
    return render(request, "notify/sink.html", {"messages_kept": SinkMessage.objects.all()[:SINK_SHOWN],
                                                "count": SinkMessage.objects.count()})


@can_read.page
def log(request):
    return _log_page(request)


def _log_page(request, check_form: ChannelCheckForm | None = None):
    """The deliveries, filtered; a refused filter or channel test shows its error by its field."""
    form = LogFilter(request.GET or None)
    page = Paginator(form.deliveries(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    may_send = can_notify(request.user)
    return render(request, "notify/log.html", {
        "form": form, "page": page, "query": query.urlencode(), "may_send": may_send,
        "check_form": (check_form or ChannelCheckForm()) if may_send else None,
        "checks": DeliveryAttempt.objects.filter(delivery__isnull=True).select_related("channel")[:CHECKS_SHOWN],
    })


@transaction.non_atomic_requests  # the send waits on the network: no transaction held meanwhile
@require_POST
@can_notify.page
def check(request):
    """Send a test message to one channel now and say what it answered (the raw error is in the
    list of tests below, behind its details)."""
    form = ChannelCheckForm(request.POST)
    if not form.is_valid():
        return _log_page(request, form)
    channel = form.cleaned_data["channel"]
    attempt = delivery.send_check(channel)
    if attempt.ok:
        messages.success(request, _("Test message sent to %(channel)s.") % {"channel": channel_words(channel)})
    else:
        messages.error(request, _("Test message to %(channel)s failed: %(error)s")
                       % {"channel": channel_words(channel), "error": reason_of(attempt.error)})
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
