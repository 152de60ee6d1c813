"""What each kind of probe needs in its settings (Probe.config), validated with pydantic.

`parse(kind, config)` returns the validated settings or raises ConfigInvalid whose problems
name the field (`config.steps.1.url`) and the reason. A password never goes into the
settings: an SQL probe names an environment variable or a secrets file (as the HIS mapping
does: both use lifeline.core.databases.Connection), a synthetic transaction takes its test
account's secrets from environment variables.
"""
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lifeline.core import sqlguard
from lifeline.core.databases import PASSWORD_IN_URL, Connection, password_reason
from lifeline.detection.probes import promql

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ConfigInvalid(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// address")
    return value


class Http(_Strict):
    url: str
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, str] = {}
    body: str = ""
    # Empty: any 2xx or 3xx answer is fine.
    expect_status: list[int] = []
    keyword: str = Field("", description="text the body must contain")
    json_path: str = Field("", description="dotted path of a field of a JSON body, e.g. data.status")
    json_value: str | None = Field(None, description="what that field must be; none: its number is the value")
    max_latency_ms: float | None = Field(None, gt=0)
    cert_days: int | None = Field(None, ge=1, description="fail when the certificate expires within so many days")
    verify_tls: bool = True

    _url = field_validator("url")(_web_url)

    @model_validator(mode="after")
    def consistent(self):
        if self.json_value is not None and not self.json_path:
            raise ValueError("json_value needs json_path (the field to compare)")
        if self.cert_days and not self.url.startswith("https://"):
            raise ValueError("cert_days needs an https:// address")
        return self

    @property
    def yields_number(self) -> bool:
        return bool(self.json_path) and self.json_value is None


class Tcp(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)


class Sql(_Strict):
    # url without password, password_env or password_file: the HIS mapping's connection rules.
    connection: Connection
    query: str = Field(min_length=1, description="one SELECT whose first column of the first row is a number")

    @field_validator("query")
    @classmethod
    def one_select(cls, value: str) -> str:
        return sqlguard.one_select(value)

    @model_validator(mode="after")
    def one_password_source(self):
        if self.connection.password_env and self.connection.password_file:
            raise ValueError("give connection.password_env or connection.password_file, not both")
        return self


class Step(_Strict):
    name: str = Field(min_length=1)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str
    headers: dict[str, str] = {}
    # A body as text, or JSON (sent with Content-Type: application/json); ${name} takes a variable.
    body: str = ""
    json_body: dict | list | None = Field(None, alias="json")
    form: dict[str, str] | None = None
    expect_status: list[int] = []
    keyword: str = ""
    # {"variable": "dotted.path"}: values taken from the JSON answer for later steps.
    extract: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def web_url(cls, value: str) -> str:
        # A variable may stand for the host part, e.g. ${base}/login.
        return value if value.startswith("${") else _web_url(value)

    @field_validator("extract")
    @classmethod
    def names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.match(IDENTIFIER, name):
                raise ValueError(f"{name!r} is not a variable name (letters, digits, _)")
        return value


class Synthetic(_Strict):
    steps: list[Step] = Field(min_length=1)
    variables: dict[str, str] = {}
    # {"password": "HIS_TEST_PASSWORD"}: the test account's secrets from environment variables.
    variables_env: dict[str, str] = {}
    verify_tls: bool = True

    @field_validator("variables_env")
    @classmethod
    def env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, env in value.items():
            if not re.match(IDENTIFIER, env):
                raise ValueError(f"{name}: {env!r} is not an environment variable name")
        return value


class Heartbeat(_Strict):
    period_minutes: float = Field(ge=1, description="the outside job checks in at least this often")


class Prometheus(_Strict):
    url: str = Field(description="the /metrics address of node_exporter, blackbox_exporter …")
    expression: str = Field(min_length=1)
    headers: dict[str, str] = {}
    verify_tls: bool = True

    _url = field_validator("url")(_web_url)

    @field_validator("expression")
    @classmethod
    def parses(cls, value: str) -> str:
        try:
            promql.parse(value)
        except promql.ExpressionInvalid as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def yields_number(self) -> bool:
        return not promql.parse(self.expression).compares


KINDS = {"http": Http, "tcp": Tcp, "sql": Sql, "synthetic": Synthetic, "heartbeat": Heartbeat,
         "prometheus": Prometheus}


def parse(kind: str, config) -> _Strict:
    if kind not in KINDS:
        raise ConfigInvalid([("kind", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")])
    if not isinstance(config, dict):
        raise ConfigInvalid([("config", "give the settings as a JSON object")])
    try:
        return KINDS[kind].model_validate(config)
    except ValidationError as exc:
        raise ConfigInvalid([(_field(error["loc"]), _reason(error)) for error in exc.errors()]) from None


def yields_number(kind: str, settings) -> bool:
    """Whether readings of this probe carry a number a threshold can judge."""
    return kind == "sql" or getattr(settings, "yields_number", False)


def _field(loc) -> str:
    return ".".join(["config", *(str(part) for part in loc)])


def _reason(error) -> str:
    if error["type"] == "missing":
        return "required"
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == PASSWORD_IN_URL:
        return password_reason("a probe's settings")
    return error["msg"].removeprefix("Value error, ")
