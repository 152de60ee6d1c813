"""Deliveries as people read them: a channel's name instead of its id (`{{ a.kind|channel_name }}`),
and a failed attempt as a sentence with the raw error behind a details disclosure
(`{% failure a.error %}`)."""
from django import template
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

# Written out (not built in a loop) so that makemessages finds every name.
CHANNELS = {
    "wecom": pgettext_lazy("notification channel", "WeCom"),
    "dingtalk": pgettext_lazy("notification channel", "DingTalk"),
    "feishu": pgettext_lazy("notification channel", "Feishu"),
    "sms": pgettext_lazy("notification channel", "SMS"),
    "email": pgettext_lazy("notification channel", "email"),
    "phone": pgettext_lazy("notification channel", "phone"),
    "webhook": pgettext_lazy("notification channel", "webhook"),
}

# What a raw error says, by the words in it, most specific first.
REASONS = (
    (("NameResolution", "Name or service not known", "getaddrinfo"), _("the server's address could not be found")),
    (("timed out", "Timeout", "timeout"), _("the server did not answer in time")),
    (("Max retries exceeded", "Connection refused", "ConnectionError", "Connection error",
      "HTTPSConnectionPool", "HTTPConnectionPool"), _("the server could not be reached")),
    (("401", "403", "Unauthorized", "Forbidden", "token", "secret"), _("the channel refused its credentials")),
)


@register.filter
def channel_name(kind: str) -> str:
    return str(CHANNELS.get(kind, kind))


def reason_of(error: str) -> str:
    for words, reason in REASONS:
        if any(w in error for w in words):
            return str(reason)
    return str(_("the channel reported an error"))


@register.simple_tag
def failure(error: str) -> str:
    return render_to_string("notify/_failure.html", {"reason": reason_of(error or ""), "error": error})
