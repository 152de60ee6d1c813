"""The REST API under /api/v1/. Each domain adds its router; this file wires them and holds
the one place where refusals become answers.

Every route names its policy (`auth=<policy>.api`, lifeline.accounts.permissions); a route that
names none is for administrators only, so a forgotten rule fails closed. Only the
token-protected alert receivers say `auth=None`.

Every 4xx answer has one shape, in the reader's language, documented as `Errors` in the
OpenAPI document:

    {"errors": [{"field": "title", "message": "请填写事件标题"}]}

`field` names the body field, query or path parameter at fault ("" for the request as a whole).
"""
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from lifeline.accounts.auth import TokenAuth
from lifeline.accounts.permissions import Policy
from lifeline.core.errors import Problem, Refused, problems_of


class ErrorOut(Schema):
    field: str
    message: str
    line: int | None = None  # only where the input is a file: its line


class Errors(Schema):
    """Every 4xx answer: what was wrong, field by field."""

    errors: list[ErrorOut]


def _login_or_token_required(view):
    """The OpenAPI document and docs are for logged-in users or token holders only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not request.user.is_authenticated:
            scheme, _sep, key = header.partition(" ")
            if scheme.lower() != "bearer" or TokenAuth().authenticate(request, key) is None:
                return JsonResponse(_unauthorised().as_dict(), status=401)
        return view(request, *args, **kwargs)

    return wrapped


class LifelineAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Declare the one error shape on every operation, next to its own answers."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(
            {"ErrorOut": ErrorOut.model_json_schema(), "Errors": _errors_schema()})
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, text in ERROR_STATUSES.items():
                    responses.setdefault(status, {"description": text, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}})
        return schema


def _errors_schema():
    return {"title": "Errors", "type": "object", "required": ["errors"],
            "properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorOut"}}}}


ERROR_STATUSES = {"400": "Bad input: each problem names its field", "401": "No valid token or session",
                  "403": "The caller's role may not do this", "404": "No such thing",
                  "413": "The request body is too large"}

admins_only = Policy("admins_only", (), "Only administrators may do this")

api = LifelineAPI(
    title="Lifeline API",
    version="1",
    description="Lifeline: hospital information-system emergency plans as running software. "
    "Authenticate with `Authorization: Bearer <token>` (create one with `lifeline token create --user NAME`). "
    'Every 4xx answer is `{"errors": [{"field": …, "message": …}]}`.',
    auth=admins_only.api,
    urls_namespace="api",
    docs_decorator=_login_or_token_required,
)


# --- the one place where refusals become answers -------------------------------------------

def _answer(request, refused: Refused):
    return api.create_response(request, refused.as_dict(), status=refused.status)


def _unauthorised() -> Refused:
    return Refused("", _("Log in, or send Authorization: Bearer <token>"), status=401)


# pydantic's error types in the reader's language; others keep pydantic's own sentence.
def _pydantic_message(error: dict) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    known = {
        "missing": _("this field is required"),
        "json_invalid": _("the body is not valid JSON"),
        "model_attributes_type": _("send a JSON object"),
        "dict_type": _("send a JSON object"),
        "string_type": _("must be text"),
        "int_type": _("must be a whole number"), "int_parsing": _("must be a whole number"),
        "int_from_float": _("must be a whole number"),
        "float_type": _("must be a number"), "float_parsing": _("must be a number"),
        "bool_type": _("must be true or false"), "bool_parsing": _("must be true or false"),
        "list_type": _("must be a list"),
        "datetime_type": _("must be a date and time such as 2026-12-06T08:30:00+08:00"),
        "datetime_parsing": _("must be a date and time such as 2026-12-06T08:30:00+08:00"),
        "datetime_from_date_parsing": _("must be a date and time such as 2026-12-06T08:30:00+08:00"),
        "date_type": _("must be a date such as 2026-12-06"), "date_parsing": _("must be a date such as 2026-12-06"),
        "date_from_datetime_parsing": _("must be a date such as 2026-12-06"),
        "enum": _("must be one of: %(expected)s") % {"expected": ctx.get("expected", "")},
        "literal_error": _("must be one of: %(expected)s") % {"expected": ctx.get("expected", "")},
        "greater_than_equal": _("must be at least %(limit)s") % {"limit": ctx.get("ge", "")},
        "greater_than": _("must be more than %(limit)s") % {"limit": ctx.get("gt", "")},
        "less_than_equal": _("must be at most %(limit)s") % {"limit": ctx.get("le", "")},
        "less_than": _("must be less than %(limit)s") % {"limit": ctx.get("lt", "")},
        "string_too_long": _("at most %(limit)s characters") % {"limit": ctx.get("max_length", "")},
        "string_too_short": _("at least %(limit)s characters") % {"limit": ctx.get("min_length", "")},
    }
    return known.get(kind, error.get("msg", ""))


def _field_of(loc) -> str:
    """ninja's location ("body", "payload", "reports", 0) as the field a caller sent."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(Refused)
def refused(request, exc):
    return _answer(request, exc)


@api.exception_handler(DjangoValidationError)
def django_validation(request, exc):
    return _answer(request, Refused.of(problems_of(exc)))


@api.exception_handler(NinjaValidationError)
def ninja_validation(request, exc):
    return _answer(request, Refused.of([Problem(_field_of(e.get("loc", ())), _pydantic_message(e))
                                        for e in exc.errors]))


@api.exception_handler(AuthenticationError)
def unauthorised(request, exc):
    return _answer(request, _unauthorised())


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _answer(request, Refused.forbidden(str(exc) or ""))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _answer(request, Refused.not_found("", _("not found")))


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 in the one shape, not Django's HTML page."""
    return _answer(request, Refused("", _("the request is too large: at most %(max)s bytes")
                                    % {"max": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}, status=413))


@api.exception_handler(RecursionError)
def too_deep(request, exc):
    """A JSON body nested thousands of levels deep: 400 naming the body, not a server error."""
    return _answer(request, Refused("", _("the body is nested too deeply")))


@api.exception_handler(HttpError)
def http_error(request, exc):
    """ninja's own refusals (CSRF, throttling): the same shape, with their status."""
    message = _("CSRF check failed: reload the page and try again") if "CSRF" in str(exc) else str(exc)
    return _answer(request, Refused("", message, status=exc.status_code))


api.add_router("/plans", "lifeline.plans.api.router")
api.add_router("/people", "lifeline.people.api.router")
api.add_router("/audit", "lifeline.audit.api.router")
api.add_router("/inspections", "lifeline.inspections.api.router")
api.add_router("/", "lifeline.incidents.api.router")
api.add_router("/", "lifeline.incidents.vendor_api.router")
api.add_router("/continuity", "lifeline.stations.api.router")
api.add_router("/continuity", "lifeline.recovery.api.router")
api.add_router("/analysis", "lifeline.analysis.api.router")
api.add_router("/", "lifeline.detection.api.router")
api.add_router("/notify", "lifeline.notify.api.router")
api.add_router("/status", "lifeline.status.api.router")
api.add_router("/", "lifeline.cutover.api.router")
api.add_router("/backups", "lifeline.backups.api.router")
api.add_router("/", "lifeline.drills.api.router")
