"""Translations for the HIS-side modules (canonical model, checks, adapter), which must also work
where Django is not set up (a workstation reading the canonical model, a script).

    from lifeline.continuity.wording import gettext as _
    raise InvalidValue(_("%(value)s is not a number") % {"value": repr(value)})

With Django's settings and apps ready, the text is in the active language (the msgids are in
lifeline/locale like every other); otherwise it is the English msgid itself.
"""


def gettext(text: str) -> str:
    try:
        from django.apps import apps
        from django.conf import settings

        if not (settings.configured and apps.ready):
            return text
        from django.utils.translation import gettext as django_gettext
    except ImportError:
        return text
    return django_gettext(text)


def gettext_noop(text: str) -> str:
    """Marks a msgid translated later (where it is shown)."""
    return text
