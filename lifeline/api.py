"""The REST API under /api/v1/. Each domain adds its router; this file only wires them.

Every operation needs a token or a session unless it says `auth=None` itself
(only the token-protected alert receivers do).
"""
from functools import wraps

from django.http import JsonResponse
from ninja import NinjaAPI

from lifeline.accounts.auth import TokenAuth, api_auth


def _login_or_token_required(view):
    """The OpenAPI document and docs are for logged-in users or token holders only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not request.user.is_authenticated:
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or TokenAuth().authenticate(request, key) is None:
                return JsonResponse({"detail": "Unauthorized"}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


api = NinjaAPI(
    title="Lifeline API",
    version="1",
    description="Lifeline: hospital information-system emergency plans as running software. "
    "Authenticate with `Authorization: Bearer <token>` (create one with `lifeline token create --user NAME`).",
    auth=api_auth,
    urls_namespace="api",
    docs_decorator=_login_or_token_required,
)

api.add_router("/plans", "lifeline.plans.api.router")
api.add_router("/people", "lifeline.people.api.router")
api.add_router("/audit", "lifeline.audit.api.router")
api.add_router("/", "lifeline.incidents.api.router")
api.add_router("/continuity", "lifeline.continuity.api.router")
api.add_router("/analysis", "lifeline.reports.api.router")
api.add_router("/", "lifeline.detection.api.router")
api.add_router("/notify", "lifeline.notify.api.router")
api.add_router("/status", "lifeline.status.api.router")
