"""The one domain error, and the one shape every refusal takes on the way out.

Any action anywhere in Lifeline that cannot be done raises `Refused`, naming the field (or
fields) at fault and the reason in the reader's language, before it changes anything: a
refusal always leaves the database as it was. The API turns it into

    {"errors": [{"field": "title", "message": "请填写事件标题"}]}

with its status (lifeline.api registers the one handler); pages show the same messages under
their fields (`add_to_form`). Django's own ValidationError is read into the same shape, so a
model's `full_clean()` needs no wrapping.
"""
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the field it is about ("" for the request as a whole) and why; `line`
    where the input is a file (a plan, a mapping)."""

    field: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict:
        found = {"field": self.field, "message": self.message}
        return found if self.line is None else {**found, "line": self.line}

    def __str__(self):
        return self.message


class Refused(Exception):
    """An action that cannot be done; names the field and the reason. Nothing was changed.

    `status` is what the API answers with: 400 bad input (the default), 403 not allowed,
    404 no such thing, 409 conflicts with the current state, 413 too large.
    """

    def __init__(self, field: str, message: str = "", *, status: int = 400, problems=None):
        self.problems: list[Problem] = list(problems or [Problem(field, str(message))])
        self.field, self.message, self.status = self.problems[0].field, self.problems[0].message, status
        super().__init__("; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in self.problems))

    @classmethod
    def of(cls, problems, *, status: int = 400) -> "Refused":
        """One refusal carrying several problems, e.g. every bad field of a form at once."""
        problems = [p if isinstance(p, Problem) else Problem(*p) for p in problems]
        return cls("", problems=problems, status=status)

    @classmethod
    def forbidden(cls, message: str = "") -> "Refused":
        return cls("", message or _("Your role may not do this"), status=403)

    @classmethod
    def not_found(cls, field: str, message: str = "") -> "Refused":
        return cls(field, message or _("not found"), status=404)

    def as_dict(self) -> dict:
        return {"errors": [p.as_dict() for p in self.problems]}

    def for_people(self) -> str:
        """The reasons as a page shows them, without the field keys (str() keeps them for logs,
        the CLI and the API): "请填写事件标题", not "title: 请填写事件标题"."""
        separator = "；" if (translation.get_language() or "").startswith("zh") else "; "
        return separator.join(dict.fromkeys(p.message for p in self.problems))


def problems_of(error: ValidationError) -> list[Problem]:
    """Django's ValidationError as problems; errors not tied to a field get field ""."""
    if hasattr(error, "error_dict"):
        return [Problem("" if field == NON_FIELD_ERRORS else field, " ".join(messages))
                for field, messages in error.message_dict.items()]
    return [Problem("", " ".join(error.messages))]


def refusal(error: Exception) -> Refused:
    """A Refused from either kind of refusal (ours or Django's)."""
    if isinstance(error, Refused):
        return error
    return Refused.of(problems_of(error))


def add_to_form(form, error: Exception):
    """Show a refusal on a Django form: each message under its field, or above the form when
    the field is not one of the form's."""
    for problem in refusal(error).problems:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)
