"""A small but complete plan, clean, to load, lint, simulate and plant errors in."""

PLAN_YAML = """\
id: demo-his
name: 示范医院HIS系统故障应急预案
organisation: 示范市第一人民医院
systems: [HIS, 电子病历]
version: "2024.1"
effective_date: 2024-01-01
review_date: 2025-01-01
groups:
  - id: hq
    name: 应急指挥中心
    kind: command
    lead: commander
  - id: tech
    name: 技术组
    parent: hq
    lead: tech_lead
roles:
  - id: commander
    title: 总指挥
    group: hq
  - id: duty_it
    title: 信息中心值班人员
    group: tech
  - id: tech_lead
    title: 技术组组长
    group: tech
  - id: dba
    title: 数据库管理员
    group: tech
escalation:
  ack_timeout: 5min
  renotify_after: 30min
levels:
  - id: L1
    name: 一级
    rank: 1
    criteria: {scope: [whole], users_pct: {gt: 50}}
    sla: {respond: immediate, resolve: 2h}
    lead: commander
    notify: [hq]
  - id: L2
    name: 二级
    rank: 2
    criteria: {users_pct: {gte: 20, lte: 50}}
    sla: {respond: 15min}
    lead: tech_lead
    notify: [tech]
  - id: L3
    name: 三级
    rank: 3
    criteria: {users_pct: {lt: 20}}
    sla: {respond: 30min}
    lead: duty_it
problem_categories:
  - id: urgent
    name: 紧急问题
    description: 影响全院业务
    level: L1
scenarios:
  - id: db_down
    name: 数据库宕机
    category: 数据库
    components: [挂号, 收费]
    level: L1
    risk: 全院挂号收费中断
    decision_tree:
      start: q1
      nodes:
        - id: q1
          question: 备库是否可用？
          answers:
            - {answer: 是, next: switch}
            - {answer: 否, next: manual}
        - id: switch
          action: 切换至备库
          owner: dba
        - id: manual
          action: 启动手工流程
          owner: commander
    steps:
      - id: assess
        title: 评估故障范围
        owner: duty_it
        due: 5min
      - id: failover
        title: 切换备库
        owner: dba
        due: 30min
        switch_to: paper
    timers:
      - id: t15
        after: 15min
        action: {kind: notify, text: 通知技术组组长到场, roles: [tech_lead]}
      - id: t30
        after: 30min
        action: {kind: duty_cards, text: 启动收费处应急职责卡, cards: [cashier]}
      - id: t3h
        after: 3h
        action: {kind: switch_scenario, text: 转入手工流程, scenario: paper}
    duty_cards: [cashier]
    notices: [patients]
  - id: paper
    name: 手工流程
    level: L2
    risk: 业务效率下降
    steps:
      - id: forms
        title: 发放手工单据
        owner: commander
duty_cards:
  - id: cashier
    department: 收费处
    coordinator: 财务处处长
    duties: [使用手工收据收费, 登记发票号段]
notices:
  - id: patients
    audience: patient
    title: 系统维护通知
    body: 部分功能正在修复，请耐心等候。
preparedness:
  - id: backup
    kind: backup
    title: 数据库备份
    text: 每天凌晨1点全量备份
    owner: dba
"""


def line_of(text: str, snippet: str) -> int:
    """1-based number of the one line that contains `snippet`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if snippet in line]
    assert len(found) == 1, f"{snippet!r} is on lines {found}"
    return found[0]


def planted(text: str, *edits: tuple[str, str]) -> str:
    """The text with each (old, new) replaced once; old must be there."""
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


# Three errors on known lines: a step without owner, a timer without action, an unknown role.
THREE_ERRORS = planted(
    PLAN_YAML,
    ("        owner: dba\n        due: 30min\n", "        due: 30min\n"),
    ("        action: {kind: duty_cards, text: 启动收费处应急职责卡, cards: [cashier]}\n", ""),
    ("roles: [tech_lead]}", "roles: [tech_leader]}"),
)

