"""Which checklist items each kind of evidence in the pack answers: GB/T 22239-2019 level 3
(等级保护 2.0, 第三级安全要求) and the ONC SAFER Guide "Contingency Planning".

Kept as data in one place so an auditor's checklist can be corrected without touching the
pack's builder. Kinds are the `kind` of lifeline.site.evidence.Item.

Sources of the numbering (to be checked against the printed standard before an audit):
- GB/T 22239-2019, chapter 8 is level 3; 8.1 the general requirements. In 8.1.4 安全计算环境,
  8.1.4.3 is 安全审计 and 8.1.4.9 is 数据备份恢复 (a 本地备份与恢复, b 异地实时备份,
  c 重要数据处理系统热冗余). In 8.1.10 安全运维管理, 8.1.10.11 is 备份与恢复管理,
  8.1.10.12 安全事件处置 and 8.1.10.13 应急预案管理. Taken from the standard's table of
  contents as it is widely reproduced; the search tool found no copy of the text to confirm it,
  so the numbers were not verified against the original here.
- ONC SAFER Guides, "Contingency Planning" (2016 edition, Domain 1 "Safe Health IT"), numbered
  as the guide numbers its recommendations; not verified against the guide here either (the 2025
  revision renumbers them).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    source: str  # "GB/T 22239-2019" or "SAFER"
    number: str
    title: str


GB = "GB/T 22239-2019"
SAFER = "ONC SAFER Contingency Planning"

CLAUSES = [
    Clause(GB, "8.1.4.3 c", "安全审计：审计记录受保护，避免未预期的删除、修改或覆盖"),
    Clause(GB, "8.1.4.9 a", "数据备份恢复：提供重要数据的本地备份与恢复功能"),
    Clause(GB, "8.1.4.9 b", "数据备份恢复：提供异地实时备份功能"),
    Clause(GB, "8.1.4.9 c", "数据备份恢复：重要数据处理系统的热冗余，保证高可用"),
    Clause(GB, "8.1.10.11", "备份与恢复管理：备份范围、方式、频度，备份与恢复策略和程序"),
    Clause(GB, "8.1.10.12", "安全事件处置：报告、处置、分析原因、记录过程、总结经验"),
    Clause(GB, "8.1.10.13 a/b", "应急预案管理：统一的预案框架与重要事件的应急预案"),
    Clause(GB, "8.1.10.13 c", "应急预案管理：定期培训并进行应急预案演练"),
    Clause(GB, "8.1.10.13 d", "应急预案管理：定期重新评估并修订预案"),
    Clause(SAFER, "1.1", "Hardware that runs critical applications is duplicated"),
    Clause(SAFER, "1.4", "EHR data and application configurations are backed up; hardware is redundant"),
    Clause(SAFER, "1.6", "Staff are trained and tested on downtime and recovery procedures"),
    Clause(SAFER, "1.7", "A communication strategy that does not rely on the computing infrastructure exists"),
    Clause(SAFER, "1.8", "Written policies and procedures on downtime and recovery ensure continuity of care"),
]

# kind of evidence -> the clause numbers it answers
ANSWERS = {
    "plan": ["8.1.10.13 a/b", "8.1.10.13 d", "1.7", "1.8"],
    "drill": ["8.1.10.13 c", "1.6"],
    "inspection": ["8.1.4.9 c", "1.1"],
    "backup": ["8.1.4.9 a", "8.1.4.9 b", "8.1.10.11", "1.4"],
    "restore": ["8.1.4.9 a", "8.1.10.11", "1.4", "1.6"],
    "incident": ["8.1.10.12"],
    "audit": ["8.1.4.3 c"],
}


def clauses_of(kind: str) -> list[Clause]:
    numbers = ANSWERS[kind]
    return [c for c in CLAUSES if c.number in numbers]
