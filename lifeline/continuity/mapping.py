"""The HIS mapping file: how one hospital's HIS database yields the canonical base data.

A mapping (YAML) names the connection (a SQLAlchemy URL without password, and where the
password comes from), per canonical entity the SQL query whose columns are the entity's
fields, its key and an optional watermark column for incremental reads, and per
emergency record how merge-back writes it (statements, or a staging table).

`check_file` reports every problem with file, line, field and reason, as the plan linter
does (both on lifeline.core.yamllint); `load` returns the validated mapping or raises
MappingInvalid with those problems. The connection is lifeline.core.databases.Connection,
which SQL probes share.
"""
import re
from pathlib import Path as FilePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lifeline.continuity.canonical import ENTITIES, RECORDS
from lifeline.core import sqlguard
from lifeline.core.databases import PASSWORD_IN_URL, Connection, password_reason
from lifeline.core.yamllint import Linter, did_you_mean, parse, read_text
from lifeline.core.yamlsource import Path, Problem, Source, value_at

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
PASSWORD_REASON = password_reason("the mapping file")
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")  # :name, not a PostgreSQL ::cast


class MappingInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntityQuery(_Strict):
    query: str = Field(min_length=1)
    key: list[str] = Field(min_length=1)
    watermark: str | None = Field(None, pattern=IDENTIFIER, description="column of the query's result")
    on_invalid_row: Literal["fail", "skip"] = "fail"

    @field_validator("query")
    @classmethod
    def one_select(cls, value: str) -> str:
        return sqlguard.one_select(value)


class MergeBack(_Strict):
    statements: list[str] | None = Field(None, min_length=1)
    staging_table: str | None = Field(None, pattern=IDENTIFIER)
    columns: dict[str, str] | None = None  # record field -> column of the staging table


class Mapping(_Strict):
    version: Literal[1]
    his: str = Field(min_length=1, description="which HIS this is, for people")
    connection: Connection
    entities: dict[str, EntityQuery]
    merge_back: dict[str, MergeBack] = {}


def check_file(path) -> list[Problem]:
    return _lint(path)[1]


def load(path) -> Mapping:
    mapping, problems = _lint(path)
    if problems:
        raise MappingInvalid(problems)
    return mapping


def line_of(path, field_path: Path) -> int:
    """The line of a field of a mapping file (for problems found later, e.g. on --connect)."""
    return Source.parse(FilePath(path).read_text(encoding="utf-8")).line_of(field_path)


def _lint(path) -> tuple[Mapping | None, list[Problem]]:
    filename = str(path)
    text, problems = read_text(path)
    if text is None:
        return None, problems
    source, problems = parse(text, filename)
    if source is None:
        return None, problems
    linter = _Linter(filename, source)
    mapping = linter.run()
    problems = linter.sorted_problems()
    return (None if problems else mapping), problems


class _Linter(Linter):
    document = "mapping"

    def run(self) -> Mapping | None:
        self.check_duplicate_keys()
        mapping = self.validate(Mapping)
        self.check_entities()
        self.check_merge_back()
        connection = value_at(self.data, ("connection",))
        if isinstance(connection, dict) and connection.get("password_env") and connection.get("password_file"):
            self.report(("connection", "password_file"), "give password_env or password_file, not both")
        return mapping

    def schema_reason(self, error: dict) -> str:
        if error["type"] == PASSWORD_IN_URL or (error["type"] == "extra_forbidden" and re.search(
                r"passw|pwd|secret", str(error["loc"][-1]), re.IGNORECASE)):
            return PASSWORD_REASON
        if error["type"] == "string_pattern_mismatch":
            return f"{error['input']!r} is not a plain column or variable name (letters, digits, _)"
        if error["type"] == "model_type" and not error["loc"]:
            return "a mapping file is a YAML mapping (version: 1, his: …, connection: …, entities: …)"
        return super().schema_reason(error)

    def check_entities(self):
        entities = value_at(self.data, ("entities",))
        if not isinstance(entities, dict):
            return
        for name in ENTITIES:
            if name not in entities:
                self.report(("entities",), f"no query for the canonical entity {name!r} ({ENTITIES[name].en})")
        for name, spec in entities.items():
            if name not in ENTITIES:
                self.report(("entities", name), f"unknown canonical entity {name!r}{did_you_mean(name, ENTITIES)}")
                continue
            keys = spec.get("key") if isinstance(spec, dict) else None
            for i, key in enumerate(keys if isinstance(keys, list) else []):
                if key not in ENTITIES[name].by_name:
                    self.report(("entities", name, "key", i), f"{key!r} is not a field of {name}"
                                f"{did_you_mean(str(key), ENTITIES[name].by_name)}")

    def check_merge_back(self):
        records = value_at(self.data, ("merge_back",))
        if not isinstance(records, dict):
            return
        for name, spec in records.items():
            path = ("merge_back", name)
            if name not in RECORDS:
                self.report(path, f"unknown emergency record {name!r}{did_you_mean(name, RECORDS)}")
                continue
            if not isinstance(spec, dict):
                continue
            fields = RECORDS[name].by_name
            if bool(spec.get("statements")) == bool(spec.get("staging_table")):
                self.report(path, "give either statements or staging_table (with columns)")
            for i, statement in enumerate(spec.get("statements") or []):
                for param in _BIND.findall(str(statement)):
                    if param not in fields:
                        self.report(path + ("statements", i), f"parameter :{param} is not a field of the "
                                    f"{name} record{did_you_mean(param, fields)}")
            if spec.get("staging_table"):
                self.check_staging(path, name, spec.get("columns"))

    def check_staging(self, path: Path, name: str, columns):
        if not isinstance(columns, dict):
            self.report(path, "a staging table needs columns (record field: column of the table)")
            return
        fields = RECORDS[name].by_name
        for field in columns:
            if field not in fields:
                self.report(path + ("columns", field), f"{field!r} is not a field of the {name} record"
                            f"{did_you_mean(str(field), fields)}")
        missing = [f.name for f in RECORDS[name].fields if f.required and f.name not in columns]
        if missing:
            self.report(path + ("columns",), f"required field(s) of the {name} record without a column: "
                        + ", ".join(missing))
