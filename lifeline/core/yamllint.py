"""The base of Lifeline's YAML linters (plans, HIS mappings): read a file, parse it with its
lines, check it against a pydantic schema and report every problem as FILE:LINE: FIELD: REASON.

    text, problems = read_text(path)          # None and the problem when the file cannot be read
    source, problems = parse(text, filename)  # None and the problem when the text is not YAML

    class _Linter(Linter):
        document = "plan"                      # the field of problems about the whole file

        def check_meaning(self): ...           # self.report(("levels", 0, "lead"), "unknown role 'x'")

    linter = _Linter(filename, source)
    linter.check_duplicate_keys()
    plan = linter.validate(schema.Plan)       # None when the schema found something
    problems = linter.sorted_problems()
"""
import difflib
from pathlib import Path as FilePath

from pydantic import BaseModel, ValidationError

from lifeline.core.yamlsource import Path, Problem, Source, SyntaxProblem, dotted, path_of_error

# A "known: …" list longer than this helps nobody; the reader opens the schema instead.
KNOWN_LISTED = 16


def read_text(path) -> tuple[str | None, list[Problem]]:
    """The file's text, or None and the problem (not UTF-8, cannot be read)."""
    try:
        return FilePath(path).read_text(encoding="utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, [Problem(str(path), 0, "file", f"cannot read the file: {exc.strerror}")]


def parse(text: str, filename: str) -> tuple[Source | None, list[Problem]]:
    """The text as a line-aware Source, or None and the problem when it is not YAML."""
    try:
        return Source.parse(text), []
    except SyntaxProblem as exc:
        return None, [Problem(filename, exc.line, "yaml", f"not valid YAML: {exc.reason}")]


def did_you_mean(value: str, known) -> str:
    """"; did you mean 'x'?" for a close name, else the known names when they are few."""
    close = difflib.get_close_matches(value, list(known), n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    if known and len(known) <= KNOWN_LISTED:
        return "; known: " + ", ".join(sorted(map(str, known)))
    return ""


class Linter:
    """Collects the problems of one parsed file; subclasses add the checks of its meaning."""

    # What the file is ("plan", "mapping"): the field of problems about the whole file, and the
    # schema named in the reason for an unknown field.
    document = "file"

    def __init__(self, filename: str, source: Source):
        self.filename = filename
        self.source = source
        self.data = source.data if isinstance(source.data, dict) else {}
        self.problems: list[Problem] = []

    def report(self, path: Path, reason: str):
        self.problems.append(Problem(self.filename, self.source.line_of(path), dotted(path) or self.document, reason))

    def check_duplicate_keys(self):
        for path, _line, first in self.source.duplicate_keys():
            self.report(path, f"key given twice (first at line {first}); only the last one would count")

    def validate(self, schema: type[BaseModel]):
        """The data validated by `schema`, or None after reporting each error at its field."""
        try:
            return schema.model_validate(self.source.data)
        except ValidationError as exc:
            for error in exc.errors():
                self.report(path_of_error(self.source.data, error["loc"]), self.schema_reason(error))
            return None

    def schema_reason(self, error: dict) -> str:
        """The reason shown for one pydantic error; subclasses word their own cases first."""
        if error["type"] == "extra_forbidden":
            return f"unknown field (not part of the {self.document} schema; check the spelling)"
        return error["msg"].removeprefix("Value error, ")

    def sorted_problems(self) -> list[Problem]:
        """Each problem once, in the order of the file."""
        return sorted(set(self.problems), key=lambda p: (p.line, p.field, p.reason))
