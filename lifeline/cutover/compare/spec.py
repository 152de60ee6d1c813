"""The comparison spec: which tables to compare, by which key, which columns, normalised how.

    tables:
      - name: patients              # what the report calls it
        source: his_patient         # table in the old system ("schema.table" allowed)
        target: patient             # table in the new system (default: the same name)
        key: [patient_id]
        columns:
          - name                    # the same column on both sides, compared as read
          - {source: phone_no, target: phone, trim: true}
          - {name: balance, decimal: 2}
          - {name: registered_at, time: second, zone: Asia/Shanghai}
        where: {source: "deleted = 0"}   # optional row filter, SQL of that side
        tolerance: 0                # differences (rows) allowed before the exit status says no

A problem is reported as FILE:LINE: FIELD: REASON and nothing is compared.
"""
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from lifeline.core.yamllint import Linter, parse, read_text
from lifeline.core.yamlsource import Path, dotted


class SpecError(Exception):
    """The spec cannot be used; `problems` name the line and field of each."""

    def __init__(self, problems):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class Column(BaseModel):
    """One compared column (or key column) and how its values are normalised on both sides
    before they are compared: numbers to a scale, times to UTC at a precision, text trimmed or
    cased."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="the column's name on both sides")
    source: str | None = Field(None, description="its name in the old system, where it differs")
    target: str | None = Field(None, description="its name in the new system, where it differs")
    decimal: int | None = Field(None, ge=0, le=30, description="numbers rounded (half up) to this many places")
    time: Literal["second", "minute", "day"] | None = Field(None, description="times in UTC, cut to this precision")
    zone: str = Field("UTC", description="the zone of times stored without one")
    trim: bool = Field(False, description="leading and trailing blanks ignored")
    case: Literal["lower", "upper"] | None = Field(None, description="text compared in this case")
    blank_as_null: bool = Field(False, description="empty text counts as no value (Oracle's habit)")

    @model_validator(mode="before")
    @classmethod
    def shorthand(cls, value):
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def named(self):
        if not (self.name or self.source and self.target):
            raise ValueError("give `name`, or both `source` and `target`")
        self.source = self.source or self.name
        self.target = self.target or self.name
        self.name = self.name or self.source
        return self

    @field_validator("zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. UTC, Asia/Shanghai)") from None
        return value


class Where(BaseModel):
    """Row filters, each in the SQL of its own side; rows outside them are not compared."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    target: str | None = None


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    target: str | None = None
    key: list[Column] = Field(min_length=1)
    columns: list[Column] = []
    where: Where = Where()
    tolerance: int = Field(0, ge=0, description="differing rows allowed")

    @model_validator(mode="after")
    def target_defaults_to_source(self):
        self.target = self.target or self.source
        return self


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: list[Table] = Field(min_length=1)
    range_rows: int = Field(2_000, ge=2, description="rows per key range in the first pass")
    leaf_rows: int = Field(1_000, ge=1, description="a differing range this small is compared row by row")
    samples: int = Field(5, ge=0, description="differences of each kind shown per table")
    listed: int = Field(100_000, ge=0, description="differences kept per table for the full list")

    _linter: Linter | None = PrivateAttr(None)

    def place(self, path: Path) -> str:
        """FILE:LINE: FIELD of a part of the spec, for errors found when comparing."""
        if self._linter is None:
            return "spec: " + ".".join(map(str, path))
        line = self._linter.source.line_of(path)
        return f"{self._linter.filename}:{line}: {dotted(path)}"


class _SpecLinter(Linter):
    document = "spec"

    def check_meaning(self, spec: Spec):
        seen = set()
        for index, table in enumerate(spec.tables):
            if table.name in seen:
                self.report(("tables", index, "name"), f"table name {table.name!r} given twice")
            seen.add(table.name)
            names = [c.name for c in table.key + table.columns]
            for position, column in enumerate(table.columns):
                if names.count(column.name) > 1:
                    self.report(("tables", index, "columns", position), f"column {column.name!r} given twice")


def load_spec(path) -> Spec:
    """The spec in the file, or SpecError with every problem found."""
    filename = str(path)
    text, problems = read_text(path)
    if text is None:
        raise SpecError(problems)
    source, problems = parse(text, filename)
    if source is None:
        raise SpecError(problems)
    linter = _SpecLinter(filename, source)
    linter.check_duplicate_keys()
    spec = linter.validate(Spec)
    if spec is not None:
        linter.check_meaning(spec)
    if linter.problems:
        raise SpecError(linter.sorted_problems())
    spec._linter = linter
    return spec
