"""Translations for the Django-free modules (the HIS side, the package format), which also run
where Django is not set up (the emergency workstation, a script).

    from lifeline.his.wording import gettext as _
    raise InvalidValue(_("%(value)s is not a number") % {"value": repr(value)})

The text is the English msgid until a translator is plugged in with `use`: the server plugs
in Django's gettext when its apps are ready (the active language, msgids in lifeline/locale
like every other); the workstation may plug in its own. This module imports nothing of
either, so the modules using it stay Django-free.
"""
from collections.abc import Callable

_translate: Callable[[str], str] | None = None


def use(translate: Callable[[str], str] | None) -> None:
    """Translate every later message with `translate` (None: the English msgids)."""
    global _translate
    _translate = translate


def gettext(text: str) -> str:
    return _translate(text) if _translate else text


def gettext_noop(text: str) -> str:
    """Marks a msgid translated later (where it is shown)."""
    return text
