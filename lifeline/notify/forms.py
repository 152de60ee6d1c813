"""Forms of the delivery log: its filters and the channel test, rendered by the site's form
renderer (errors beside their field); channels by their names, never their ids."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.notify.models import Delivery
from lifeline.notify.templatetags.delivery_words import channel_name
from lifeline.people.models import ContactChannel

# Offered in the channel filter even before any contact uses them: the fallbacks.
ALWAYS_OFFERED_KINDS = {"email", "sms"}


class LogFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("any status")), *Delivery.Status.choices])
    kind = forms.ChoiceField(label=_("Channel"), required=False)
    incident = forms.IntegerField(label=_("Incident"), required=False, min_value=1,
                                  widget=forms.NumberInput(attrs={"placeholder": _("Incident #")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = sorted({*ContactChannel.objects.values_list("kind", flat=True).distinct(), *ALWAYS_OFFERED_KINDS})
        self.fields["kind"].choices = [("", _("any channel")), *((kind, channel_name(kind)) for kind in kinds)]

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


class ChannelChoice(forms.ModelChoiceField):
    def label_from_instance(self, channel):
        return channel_words(channel)


def channel_words(channel: ContactChannel) -> str:
    """A channel as people name it: 王建国 · 企业微信."""
    return f"{channel.member.name} · {channel_name(channel.kind)}"


class ChannelCheckForm(forms.Form):
    channel = ChannelChoice(ContactChannel.objects.select_related("member"), label=_("Channel"), empty_label=None,
                            error_messages={"invalid_choice": _("choose one of the channels listed")})
