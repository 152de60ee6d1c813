"""Who is making the changes being recorded (the audit log reads it; the worker, the CLI and
the audit app's middleware set it). It lives in core so the worker and every app can say who
acts without importing the audit app above them.

A context variable (not a thread-local) so it follows the code through threads started
with a copied context and through async code alike. Web requests set it with
ActorMiddleware; CLI and worker code say `with acting_as("cli"): ...`.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

DEFAULT_LABEL = "system"

_actor: ContextVar = ContextVar("lifeline_audit_actor", default=None)


@contextmanager
def acting_as(who):
    """Record changes made inside the block as made by `who`: a user or a label such as "worker".

    A request is accepted too: its user is read at the time of each change, because API
    calls with a bearer token only learn their user inside the view.
    """
    token = _actor.set(who)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    """(user or None, label) of whoever is acting now."""
    who = _actor.get()
    if isinstance(who, HttpRequest):
        who = getattr(who, "user", None)
        if who is None or not who.is_authenticated:
            return None, "anonymous"
    if who is None:
        return None, DEFAULT_LABEL
    if isinstance(who, str):
        return None, who
    return who, who.get_username()
