"""The shape of a plan file (预案 YAML).

One plan file holds one hospital's emergency plan: who commands, how incidents are
graded, each fault scenario with its decision tree, steps and timers, the department
duty cards and the notices. The structure is checked here (types, required fields,
unknown keys); cross-references (roles, levels, step order, tree reachability) are
checked by `lint.py`, which reports both kinds with file, line and field.

Durations are written `immediate`, `90s`, `30min`, `3h`, `1d` or `2wd` (working days).
"""
import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from lifeline.core import workdays

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]

_DURATION = re.compile(r"^(?P<n>\d+)\s*(?P<unit>s|min|h|d|wd)$")
_UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


def _check_duration(text: str) -> str:
    if text != "immediate" and not _DURATION.match(text):
        raise ValueError(f"{text!r} is not a duration: write immediate, 90s, 30min, 3h, 1d or 2wd")
    return text


Duration = Annotated[str, AfterValidator(_check_duration)]


def to_timedelta(duration: str) -> timedelta:
    """Length of a duration; a working day counts as one calendar day here (see deadline_after)."""
    if duration == "immediate":
        return timedelta(0)
    m = _DURATION.match(duration)
    unit = "d" if m["unit"] == "wd" else m["unit"]
    return timedelta(seconds=int(m["n"]) * _UNIT_SECONDS[unit])


def deadline_after(start: datetime, duration: str) -> datetime:
    """When a duration that starts at `start` runs out. Working days are China's (statutory
    holidays and adjusted working days, lifeline.core.workdays); a year the calendar does not
    know counts Monday to Friday, logged and shown beside the deadline."""
    m = _DURATION.match(duration) if duration != "immediate" else None
    if not m or m["unit"] != "wd":
        return start + to_timedelta(duration)
    return workdays.add_working_days(start, int(m["n"]))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Scope(StrEnum):
    TERMINAL = "terminal"  # 单台终端 / 个别用户
    REGION = "region"  # 局部区域 / 科室 / 单位
    WHOLE = "whole"  # 全院 / 全省 / 整体


class Channel(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    SMS = "sms"
    EMAIL = "email"
    PHONE = "phone"
    WEBHOOK = "webhook"
    HOTLINE = "hotline"  # 应急电话专线 / 7×24 热线
    BROADCAST = "broadcast"  # 全院广播
    OFFICIAL_ACCOUNT = "official_account"  # 公众号
    APP_BANNER = "app_banner"  # APP 首页滚动提示
    SCREEN = "screen"  # 电子屏 / 公告牌
    CHAT_GROUP = "chat_group"  # 值班群 / QQ 群 / 微信群


class Percent(Strict):
    """Share of users affected, e.g. {gt: 50} or {gte: 20, lte: 50}."""

    gt: float | None = Field(None, ge=0, le=100)
    gte: float | None = Field(None, ge=0, le=100)
    lt: float | None = Field(None, ge=0, le=100)
    lte: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def one_bound_per_side(self):
        if self.gt is not None and self.gte is not None:
            raise ValueError("give gt or gte, not both")
        if self.lt is not None and self.lte is not None:
            raise ValueError("give lt or lte, not both")
        if all(v is None for v in (self.gt, self.gte, self.lt, self.lte)):
            raise ValueError("give at least one of gt, gte, lt, lte")
        return self

    def bounds(self) -> tuple[float, bool, float, bool]:
        """(low, low_included, high, high_included)."""
        low, low_inc = (self.gt, False) if self.gt is not None else (self.gte or 0.0, True)
        high, high_inc = (self.lt, False) if self.lt is not None else (
            self.lte if self.lte is not None else 100.0, True)
        return low, low_inc, high, high_inc

    def contains(self, value: float) -> bool:
        low, low_inc, high, high_inc = self.bounds()
        return (value > low or (low_inc and value == low)) and (value < high or (high_inc and value == high))


class Criteria(Strict):
    scope: list[Scope] = []  # empty: any scope
    users_pct: Percent | None = None  # empty: any share
    services: list[str] = []  # the services whose loss puts an incident at this level
    description: str = ""


class Sla(Strict):
    respond: Duration | None = None  # time to respond (响应); None: the plan gives none, as the command centre decides
    resolve: Duration | None = None  # time to resolve (处理/解决); None: as the command centre decides
    note: str = ""  # where a figure comes from, or that the plan's source gives none; printed beside it


class Level(Strict):
    id: Id
    name: str
    rank: int = Field(ge=1, description="1 is the most severe")
    description: str = ""
    criteria: Criteria = Criteria()
    sla: Sla
    lead: Id | None = None  # role that leads incidents at this level
    notify: list[Id] = []  # roles or groups told when an incident reaches this level
    channels: list[Channel] = []
    actions: list[str] = []  # what this level switches on (启动灾备中心, 全院广播通知 …)


class ProblemCategory(Strict):
    """Problem categories of the intake (问题定义分类), each with its SLA."""

    id: Id
    name: str
    description: str
    level: Id | None = None  # the level an incident of this category starts at
    sla: Sla | None = None
    examples: list[str] = []


class Members(Strict):
    core: int = Field(0, ge=0)
    backup: int = Field(0, ge=0)


class Group(Strict):
    id: Id
    name: str
    kind: Literal["command", "group"] = "group"
    lead: Id | None = None  # the role that leads this group
    parent: Id | None = None  # a group under another (指挥中心下设现场保障组)
    members: Members = Members()
    duties: list[str] = []


class Role(Strict):
    id: Id
    title: str
    group: Id
    duties: list[str] = []
    skills: list[str] = []  # skills the roster looks for (数据库恢复, 网络, 沟通 …)
    # An outside unit (承建单位, 厂商, 软件公司, 运营商): its engineers commit repair times, the
    # tracking table shows them beside the SLA deadline, the vendor view lists its open items, and
    # a commitment that passes notifies its contact and the commander. It never leads a level.
    vendor: bool = False


class Escalation(Strict):
    """Who is paged, in order, while nobody acknowledges (issue: incident command)."""

    ack_timeout: Duration = "5min"
    chain: list[Literal["on_duty", "backup", "group_lead", "command_centre"]] = [
        "on_duty", "backup", "group_lead", "command_centre"]
    renotify_after: Duration | None = "30min"


class Trigger(Strict):
    """What starts a scenario: a text for people, and optionally a measurable rule for probes."""

    description: str
    metric: str | None = None
    op: Literal[">", ">=", "<", "<=", "==", "!="] | None = None
    threshold: float | None = None
    consecutive: int | None = Field(None, ge=1)
    unit: str | None = None

    @model_validator(mode="after")
    def rule_complete(self):
        parts = [self.metric, self.op, self.threshold]
        if any(p is not None for p in parts) and not all(p is not None for p in parts):
            raise ValueError("a measurable trigger needs metric, op and threshold together")
        return self


class Answer(Strict):
    answer: str
    next: Id


class Node(Strict):
    """A question with answers leading to other nodes, or a leaf with an action."""

    id: Id
    question: str | None = None
    answers: list[Answer] = []
    action: str | None = None
    owner: Id | None = None

    @model_validator(mode="after")
    def question_or_action(self):
        if self.question and not self.answers:
            raise ValueError("a question needs answers")
        if not self.question and not self.action:
            raise ValueError("a node needs a question with answers, or an action")
        return self


class DecisionTree(Strict):
    start: Id
    nodes: list[Node] = Field(min_length=1)


class Step(Strict):
    id: Id
    title: str
    detail: str = ""
    owner: Id | None = None  # required: the linter reports a step without owner
    after: list[Id] | None = None  # steps that must be done first; None: the previous step
    due: Duration | None = None  # from the start of the scenario
    phase: Literal["prepare", "respond", "recover"] = "respond"
    switch_to: Id | None = None  # scenario to start if this step fails


class TimerActionKind(StrEnum):
    NOTIFY = "notify"  # tell roles or groups
    DUTY_CARDS = "duty_cards"  # activate department duty cards
    SET_MODE = "set_mode"  # switch departments to a working mode (单机 / 手工)
    NOTICE = "notice"  # post a notice from the plan's templates
    ESCALATE = "escalate"  # raise the incident to another level
    SWITCH_SCENARIO = "switch_scenario"  # start another scenario (e.g. old platform)


class TimerAction(Strict):
    kind: TimerActionKind
    text: str  # what happens, in the plan's words
    roles: list[Id] = []
    cards: list[Id] = []
    mode: str | None = None
    departments: list[str] = []
    notice: Id | None = None
    level: Id | None = None
    scenario: Id | None = None

    @model_validator(mode="after")
    def target_for_kind(self):
        needs = {
            TimerActionKind.NOTIFY: ("roles", self.roles),
            TimerActionKind.DUTY_CARDS: ("cards", self.cards),
            TimerActionKind.SET_MODE: ("mode", self.mode),
            TimerActionKind.NOTICE: ("notice", self.notice),
            TimerActionKind.ESCALATE: ("level", self.level),
            TimerActionKind.SWITCH_SCENARIO: ("scenario", self.scenario),
        }
        field, value = needs[self.kind]
        if not value:
            raise ValueError(f"a {self.kind.value} action needs {field}")
        return self


class Timer(Strict):
    """Fires `after` the incident opened unless it is resolved (or acknowledged) by then."""

    id: Id
    after: Duration
    unless: Literal["resolved", "acknowledged"] = "resolved"
    action: TimerAction | None = None  # required: the linter reports a timer without action
    description: str = ""


class Scenario(Strict):
    id: Id
    name: str
    category: str = ""  # 数据库 / 网络 / 应用 / 硬件 / 第三方接口 / 安全 / 数据迁移 …
    components: list[str] = []  # components it affects (挂号, 收费, 医保接口 …)
    level: Id  # default level
    risk: str  # 风险描述
    prevention: list[str] = []  # 防控措施
    triggers: list[Trigger] = []
    decision_tree: DecisionTree | None = None
    steps: list[Step] = []
    timers: list[Timer] = []
    duty_cards: list[Id] = []  # cards activated when this scenario starts
    notices: list[Id] = []  # notices suggested for this scenario


class DutyCard(Strict):
    id: Id
    department: str
    coordinator: str  # who coordinates (由财务处处长和收费处负责人负责总协调)
    when: str = ""  # when the card applies
    duties: list[str] = Field(min_length=1)
    keep_for_recovery: list[str] = []  # paper and numbers to keep for merge-back
    forms: list[Literal["registration_slip", "prescription", "charge_sheet", "dispensing_log"]] = []


class Notice(Strict):
    id: Id
    audience: Literal["patient", "staff"]
    title: str
    body: str
    channels: list[Channel] = []


class Intake(Strict):
    """How faults are reported and fed back (问题受理及处置流程)."""

    channels: list[Channel] = []
    steps: list[str] = []


class Measure(Strict):
    """Preparation before anything happens: backups, DR, spare parts, training, drills, inspections, go-live tasks."""

    id: Id
    kind: Literal["backup", "dr", "spare_parts", "training", "drill", "inspection", "monitoring",
                  "go_live", "power", "security", "other"]
    title: str
    text: str
    owner: Id | None = None  # a role of this plan
    responsible: str = ""  # an outside unit (责任单位), in the plan's words
    schedule: str = ""  # 每天凌晨1点 / 每季度 …
    due: str = ""  # 完成时间


class Plan(Strict):
    id: Id
    name: str
    language: Literal["zh-hans", "en"] = "zh-hans"
    organisation: str
    systems: list[str] = Field(min_length=1)
    version: str
    effective_date: date
    review_date: date
    source: str = ""
    summary: str = ""
    groups: list[Group] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    escalation: Escalation = Escalation()
    levels: list[Level] = Field(min_length=1)
    problem_categories: list[ProblemCategory] = []
    scenarios: list[Scenario] = Field(min_length=1)
    duty_cards: list[DutyCard] = []
    notices: list[Notice] = []
    intake: Intake = Intake()
    preparedness: list[Measure] = []

    @model_validator(mode="after")
    def review_after_effective(self):
        if self.review_date < self.effective_date:
            raise ValueError("review_date is before effective_date")
        return self
