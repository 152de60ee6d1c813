"""The HIS mapping file: how one hospital's HIS database yields the canonical base data.

A mapping (YAML) names the connection (a SQLAlchemy URL without password, and where the
password comes from), per canonical entity the SQL query whose columns are the entity's
fields, its key and an optional watermark column for incremental reads (with a look-back
window), what a bad value does (per entity `on_invalid_row`, per field `fields.<name>.on_invalid`),
the limits a build must keep to publish the entity (`limits`), optionally per kind of number a
workstation issues the query that reads the HIS's current number of it (`sequences`), and per
emergency record how merge-back writes it (statements, or a staging table).

`check_file` reports every problem with file, line, field and reason, as the plan linter
does (both on lifeline.core.yamllint); `load` returns the validated mapping or raises
MappingInvalid with those problems. The connection is lifeline.core.databases.Connection,
which SQL probes share.
"""
import datetime
import math
import re
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lifeline.core import sqlguard
from lifeline.core.databases import PASSWORD_IN_URL, Connection, password_reason
from lifeline.core.yamllint import Linter, did_you_mean, parse, read_text
from lifeline.core.yamlsource import Path, Problem, Source, value_at
from lifeline.his.canonical import ENTITIES, LOOKUPS, NUMBERS, RECORDS

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
PASSWORD_REASON = password_reason("the mapping file")
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")  # :name, not a PostgreSQL ::cast


class MappingInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")
_DURATION = re.compile(r"^(\d+)\s*(s|min|h|d)$")
_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Allowance:
    """A limit written as a number of rows (`500`) or a share (`"2%"`) of a whole."""
    text: str
    rows: int | None = None
    percent: float | None = None

    def of(self, whole: int) -> int:
        """The rows allowed out of `whole` (a share rounds up: 1% of 50 rows allows 1)."""
        return self.rows if self.rows is not None else math.ceil(whole * self.percent / 100)

    def __str__(self):
        return self.text


def allowance(value) -> Allowance:
    """`500` (rows) or `"2%"` (a share); ValueError saying how to write one."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Allowance(str(value), rows=value)
    match = _AMOUNT.match(str(value).strip()) if isinstance(value, str) else None
    if match and float(match.group(1)) <= 100:
        return Allowance(f"{match.group(1)}%", percent=float(match.group(1)))
    raise ValueError(f"{value!r} is not a number of rows (500) or a share of the rows (\"2%\", at most 100%)")


def duration(value) -> int:
    """Seconds, from `600` (seconds), `30s`, `10min`, `2h` or `1d`; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a duration: write seconds (600) or 30s, 10min, 2h, 1d")
    return int(match.group(1)) * _SECONDS[match.group(2)]


class Limits(_Strict):
    """What a build must keep to, per entity, to publish: otherwise it is refused and the last good
    package stays published. Shares are of the entity's rows in the HIS (valid or not)."""
    max_skipped: str | int = Field("1%", description="rows left out for a bad value (on_invalid_row: skip)")
    max_nulled: str | int = Field("10%", description="rows with a value emptied (on_invalid: null)")
    min_rows: int = Field(0, ge=0, description="the fewest rows the entity may have")
    max_shrink: str | int = Field("50%", description="the most rows the entity may lose against the package "
                                                     "it replaces (its parent, or the newest package)")

    @field_validator("max_skipped", "max_nulled", "max_shrink")
    @classmethod
    def amount(cls, value):
        allowance(value)
        return value

    def allowed(self, name: str) -> Allowance:
        return allowance(getattr(self, name))


class FieldRule(_Strict):
    on_invalid: Literal["null", "skip", "fail"] = Field(
        description="a bad value: null empties it (optional fields), skip leaves the row out, fail fails the read")

    @field_validator("on_invalid", mode="before")
    @classmethod
    def yaml_null(cls, value):
        return "null" if value is None else value  # `on_invalid: null` is YAML's null


class EntityQuery(_Strict):
    query: str = Field(min_length=1)
    key: list[str] = Field(min_length=1)
    watermark: str | None = Field(None, pattern=IDENTIFIER, description="column of the query's result")
    watermark_lookback: str | int = Field(0, description="each incremental also reads rows this much older than "
                                                          "the watermark (date and time watermarks)")
    on_invalid_row: Literal["fail", "skip"] = "fail"
    fields: dict[str, FieldRule] = {}
    limits: Limits = Limits()

    @field_validator("query")
    @classmethod
    def one_select(cls, value: str) -> str:
        return sqlguard.one_select(value)

    @field_validator("watermark_lookback")
    @classmethod
    def lookback_is_a_duration(cls, value):
        duration(value)
        return value

    @property
    def lookback(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=duration(self.watermark_lookback))

    def rule(self, field: str) -> str:
        """What a bad value of `field` does: null, skip or fail."""
        found = self.fields.get(field)
        return found.on_invalid if found else self.on_invalid_row

    @property
    def nullable(self) -> frozenset[str]:
        return frozenset(name for name, rule in self.fields.items() if rule.on_invalid == "null")

    def data_rules(self) -> dict:
        """What decides the rows read (the mapping hash): query, key, watermark and row rules, not
        limits or look-back (changing those keeps the chain)."""
        found = {"query": self.query, "key": self.key, "watermark": self.watermark,
                 "on_invalid_row": self.on_invalid_row}
        if self.fields:
            found["fields"] = {name: rule.on_invalid for name, rule in sorted(self.fields.items())}
        return found


class NumberSequence(_Strict):
    """How a build reads the HIS's current number of one kind (canonical.NUMBERS): number leases
    start above it, plus the plan's offset."""
    query: str = Field(min_length=1, description="one SELECT yielding one whole number (NULL: none issued yet)")
    returns: Literal["highest", "next"] = Field(
        "highest", description="highest: the highest number issued (MAX(…), a sequence's last value); "
                               "next: the number the HIS issues next")

    @field_validator("query")
    @classmethod
    def one_select(cls, value: str) -> str:
        return sqlguard.one_select(value)


class MergeBack(_Strict):
    statements: list[str] | None = Field(None, min_length=1)
    staging_table: str | None = Field(None, pattern=IDENTIFIER)
    columns: dict[str, str] | None = None  # record field -> column of the staging table


class MergeBackLookup(_Strict):
    """A question merge-back asks the HIS (canonical.LOOKUPS): one SELECT taking the lookup's
    binds as :name parameters and yielding its columns."""
    query: str = Field(min_length=1)

    @field_validator("query")
    @classmethod
    def one_select(cls, value: str) -> str:
        return sqlguard.one_select(value)


class Mapping(_Strict):
    version: Literal[1]
    his: str = Field(min_length=1, description="which HIS this is, for people")
    connection: Connection
    entities: dict[str, EntityQuery]
    sequences: dict[str, NumberSequence] = {}
    merge_back: dict[str, MergeBack] = {}
    merge_back_lookups: dict[str, MergeBackLookup] = {}
    merge_back_connection: Connection | None = Field(
        None, description="the account merge-back writes with (default: connection, which may then not be "
                          "read-only)")


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
        self.check_sequences()
        self.check_merge_back()
        self.check_lookups()
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
            self.check_fields(name, spec.get("fields") if isinstance(spec, dict) else None,
                              keys if isinstance(keys, list) else ENTITIES[name].key)

    def check_fields(self, name: str, rules, keys: list):
        if not isinstance(rules, dict):
            return
        fields = ENTITIES[name].by_name
        for field, rule in rules.items():
            path = ("entities", name, "fields", field)
            if field not in fields:
                self.report(path, f"{field!r} is not a field of {name}{did_you_mean(str(field), fields)}")
                continue
            on_invalid = rule.get("on_invalid", "") if isinstance(rule, dict) else ""
            if on_invalid is None and (fields[field].required or field in keys):
                self.report(path + ("on_invalid",), f"{field} is a required field of {name}: a bad value cannot "
                            f"be emptied; use skip (leave the row out) or fail")

    def check_sequences(self):
        sequences = value_at(self.data, ("sequences",))
        for kind in sequences if isinstance(sequences, dict) else ():
            if kind not in NUMBERS:
                self.report(("sequences", kind), f"{kind!r} is not a kind of number a workstation issues "
                            f"({', '.join(NUMBERS)}){did_you_mean(str(kind), NUMBERS)}")

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

    def check_lookups(self):
        lookups = value_at(self.data, ("merge_back_lookups",))
        if not isinstance(lookups, dict):
            return
        for name, spec in lookups.items():
            path = ("merge_back_lookups", name)
            if name not in LOOKUPS:
                self.report(path, f"unknown lookup {name!r}{did_you_mean(str(name), LOOKUPS)}")
                continue
            binds = LOOKUPS[name].binds
            for param in _BIND.findall(str(spec.get("query", "")) if isinstance(spec, dict) else ""):
                if param not in binds:
                    self.report(path + ("query",), f"parameter :{param} is not one the {name} lookup takes "
                                f"({', '.join(binds)})")
