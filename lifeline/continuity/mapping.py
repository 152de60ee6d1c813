"""The HIS mapping file: how one hospital's HIS database yields the canonical base data.

A mapping (YAML) names the connection (a SQLAlchemy URL without password, and where the
password comes from), per canonical entity the SQL query whose columns are the entity's
fields, its key and an optional watermark column for incremental reads, and per
emergency record how merge-back writes it (statements, or a staging table).

`check_file` reports every problem with file, line, field and reason, as the plan linter
does; `load` returns the validated mapping or raises MappingInvalid with those problems.
"""
import difflib
import os
import re
from pathlib import Path as FilePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from lifeline.continuity.canonical import ENTITIES, RECORDS
from lifeline.core.yamlsource import Path, Problem, Source, SyntaxProblem, dotted, path_of_error, value_at

BACKENDS = ("postgresql", "mysql", "mariadb", "mssql", "oracle", "sqlite")
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
PASSWORD_REASON = ("a password never goes into the mapping file: name an environment variable "
                   "(connection.password_env) or a secrets file (connection.password_file)")
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")  # :name, not a PostgreSQL ::cast
_SELECT = re.compile(r"^\s*(SELECT|WITH)\b", re.IGNORECASE)


class MappingInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class PasswordUnavailable(Exception):
    """The password source the mapping names cannot be read."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Connection(_Strict):
    url: str
    password_env: str | None = Field(None, pattern=IDENTIFIER)
    password_file: str | None = None
    connect_timeout: int = Field(10, gt=0, description="seconds to reach the HIS")
    query_timeout: int = Field(600, gt=0, description="seconds the HIS may take for one batch of rows")

    @field_validator("url")
    @classmethod
    def url_without_password(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"{value!r} is not a SQLAlchemy URL (dialect+driver://user@host:port/database)")
        if url.password is not None:
            raise ValueError(PASSWORD_REASON)
        if url.get_backend_name() not in BACKENDS:
            raise ValueError(f"unsupported database {url.get_backend_name()!r}; use one of {', '.join(BACKENDS)}")
        return value

    def sqlalchemy_url(self) -> URL:
        """The URL with the password from its source (PasswordUnavailable if that cannot be read)."""
        return make_url(self.url).set(password=self.password()) if self.password_env or self.password_file \
            else make_url(self.url)

    def password(self) -> str:
        if self.password_env:
            if self.password_env not in os.environ:
                raise PasswordUnavailable(f"environment variable {self.password_env} "
                                          f"(connection.password_env) is not set")
            return os.environ[self.password_env]
        try:
            return FilePath(self.password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PasswordUnavailable(f"cannot read the secrets file {self.password_file} "
                                      f"(connection.password_file): {exc.strerror}") from None


class EntityQuery(_Strict):
    query: str = Field(min_length=1)
    key: list[str] = Field(min_length=1)
    watermark: str | None = Field(None, pattern=IDENTIFIER, description="column of the query's result")
    on_invalid_row: Literal["fail", "skip"] = "fail"

    @field_validator("query")
    @classmethod
    def one_select(cls, value: str) -> str:
        body = value.strip().rstrip(";")
        if not _SELECT.match(body) or ";" in body:
            raise ValueError("a query is one SELECT (or WITH … SELECT) statement")
        return body


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
    try:
        text = FilePath(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(filename, 1, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, [Problem(filename, 0, "file", f"cannot read the file: {exc.strerror}")]
    try:
        source = Source.parse(text)
    except SyntaxProblem as exc:
        return None, [Problem(filename, exc.line, "yaml", f"not valid YAML: {exc.reason}")]
    linter = _Linter(filename, source)
    mapping = linter.run()
    problems = sorted(set(linter.problems), key=lambda p: (p.line, p.field, p.reason))
    return (None if problems else mapping), problems


def _did_you_mean(value: str, known) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else "; known: " + ", ".join(known)


class _Linter:
    def __init__(self, filename: str, source: Source):
        self.filename = filename
        self.source = source
        self.data = source.data if isinstance(source.data, dict) else {}
        self.problems: list[Problem] = []

    def report(self, path: Path, reason: str):
        self.problems.append(Problem(self.filename, self.source.line_of(path), dotted(path) or "mapping", reason))

    def run(self) -> Mapping | None:
        for path, _line, first in self.source.duplicate_keys():
            self.report(path, f"key given twice (first at line {first}); only the last one would count")
        mapping = None
        try:
            mapping = Mapping.model_validate(self.source.data)
        except ValidationError as exc:
            for error in exc.errors():
                self.report(path_of_error(self.source.data, error["loc"]), self._reason(error))
        self.check_entities()
        self.check_merge_back()
        connection = value_at(self.data, ("connection",))
        if isinstance(connection, dict) and connection.get("password_env") and connection.get("password_file"):
            self.report(("connection", "password_file"), "give password_env or password_file, not both")
        return mapping

    def _reason(self, error: dict) -> str:
        if error["type"] == "extra_forbidden":
            if re.search(r"passw|pwd|secret", str(error["loc"][-1]), re.IGNORECASE):
                return PASSWORD_REASON
            return "unknown field (not part of the mapping schema; check the spelling)"
        if error["type"] == "string_pattern_mismatch":
            return f"{error['input']!r} is not a plain column or variable name (letters, digits, _)"
        if error["type"] == "model_type" and not error["loc"]:
            return "a mapping file is a YAML mapping (version: 1, his: …, connection: …, entities: …)"
        return error["msg"].removeprefix("Value error, ")

    def check_entities(self):
        entities = value_at(self.data, ("entities",))
        if not isinstance(entities, dict):
            return
        for name in ENTITIES:
            if name not in entities:
                self.report(("entities",), f"no query for the canonical entity {name!r} ({ENTITIES[name].en})")
        for name, spec in entities.items():
            if name not in ENTITIES:
                self.report(("entities", name), f"unknown canonical entity {name!r}{_did_you_mean(name, ENTITIES)}")
                continue
            keys = spec.get("key") if isinstance(spec, dict) else None
            for i, key in enumerate(keys if isinstance(keys, list) else []):
                if key not in ENTITIES[name].by_name:
                    self.report(("entities", name, "key", i), f"{key!r} is not a field of {name}"
                                f"{_did_you_mean(str(key), ENTITIES[name].by_name)}")

    def check_merge_back(self):
        records = value_at(self.data, ("merge_back",))
        if not isinstance(records, dict):
            return
        for name, spec in records.items():
            path = ("merge_back", name)
            if name not in RECORDS:
                self.report(path, f"unknown emergency record {name!r}{_did_you_mean(name, RECORDS)}")
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
                                    f"{name} record{_did_you_mean(param, fields)}")
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
                            f"{_did_you_mean(str(field), fields)}")
        missing = [f.name for f in RECORDS[name].fields if f.required and f.name not in columns]
        if missing:
            self.report(path + ("columns",), f"required field(s) of the {name} record without a column: "
                        + ", ".join(missing))
