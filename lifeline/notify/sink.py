"""`sink://KIND/TO`: an Apprise channel that keeps the message in the database (SinkMessage)
instead of sending it anywhere. The demo hospital's contacts use it (wecom, sms and email alike:
sink://wecom/13800100001), so `make run` shows notifications arriving at /notify/sink/ without a
WeCom key, an SMS gateway or a mail server, and nothing leaves the machine. Registered with
Apprise when the notify app is ready.
"""
from apprise.decorators import notify

SCHEME = "sink"


def register():
    """Idempotent: Apprise keeps one plugin per scheme."""
    from apprise.plugins import N_MGR

    if SCHEME in N_MGR:
        return

    @notify(on=SCHEME, name="Lifeline local sink")
    def keep(body, title, notify_type, meta, *args, **kwargs):
        from lifeline.notify.models import SinkMessage

        kind = (meta.get("host") or "sink")[:20]
        to = (meta.get("fullpath") or "").strip("/")[:200]
        SinkMessage.objects.create(kind=kind, to=to, title=(title or "")[:250], body=body or "")
        return True
