"""The printed plan binder (预案手册): the folder a hospital keeps for when nothing electronic works.

`prepare` turns a plan into one structure (sections, resolved role titles, decision
trees as outlines, timers as "T+30 min → …", blank paper forms); the PDF (WeasyPrint from
a template) and the DOCX (python-docx) renderers both walk it, so the two formats hold
the same sections with the same words. Fixed headings and form labels are in LABELS,
one dict per plan language: the binder is printed in the plan's language, not the
reader's interface language. Words the screens say too (the escalation chain, the command
centre, a timer's condition, scopes, the labels of a plan's parts) come from
vocabulary.py, said in the plan's language (`labels`), so paper and screen agree.
"""
import io
import re
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone, translation

from lifeline.core import clock
from lifeline.core.documents import FONT_STACK, docx_fonts, docx_heading, docx_page_number, docx_table
from lifeline.plans import schema, vocabulary

LABELS = {
    "zh-hans": {
        "binder": "应急预案手册", "contents": "目录", "organisation": "单位", "systems": "涉及系统",
        "version": "版本", "effective_date": "生效日期", "review_date": "复审日期", "source": "依据",
        "printed": "打印日期",
        "cover_note": "本手册供信息系统全部不可用时使用。请放在固定位置，预案更新后及时替换。",
        "sec_organisation": "组织机构与职责", "group": "工作组", "members": "人员配置",
        "members_fmt": "核心 {core} 人，后备 {backup} 人", "roles": "角色", "skills": "所需技能",
        "contacts": "联系人", "contacts_note": "空白处请手工填写，人员或电话变更时及时更新。",
        "role": "角色", "name": "姓名", "phone": "电话",
        "sec_levels": "事件分级与响应", "level": "级别", "rank": "严重程度", "any": "不限",
        "escalation": "无人确认时逐级通知",
        "escalation_fmt": "{timeout}内无人确认，依次通知：{chain}。",
        "renotify_fmt": "仍无人确认的，每隔{interval}重新呼叫整条升级链；"
                        "已确认但仍未处理的，每隔{interval}提醒事件指挥。",
        "sec_categories": "问题分类与受理", "examples": "示例", "sla": "时限", "intake": "问题受理流程",
        "sec_scenarios": "故障场景处置", "default_level": "默认级别", "no": "序号", "done": "完成",
        "see_above": "见上文", "question": "问", "action": "处置",
        "sec_notices": "通知模板", "audience": "对象",
        "sec_preparedness": "预防与准备", "kind": "类型", "schedule": "频次", "responsible": "责任单位",
        "due_by": "完成时间", "title": "事项",
        "sec_duty_cards": "部门职责卡", "card_heading": "部门职责卡：{department}",
        "sec_forms": "手工应急表单", "emergency_mark": "应急数据", "serial": "流水号",
        "entered_back": "恢复后已补录入系统", "entered_by": "录入人", "entered_at": "录入时间",
        "none": "无",
        "immediate": "立即", "units": {"s": "秒", "min": "分钟", "h": "小时", "d": "天", "wd": "个工作日"},
        "unit_sep": " ",
        "list_sep": "、",
        "phases": {"prepare": "准备", "respond": "响应", "recover": "恢复"},
        "audiences": {"patient": "患者", "staff": "员工"},
        "channel_names": {
            "wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书", "sms": "短信", "email": "邮件",
            "phone": "电话", "webhook": "Webhook", "hotline": "应急热线", "broadcast": "全院广播",
            "official_account": "公众号", "app_banner": "APP 首页提示", "screen": "电子屏",
            "chat_group": "值班群"},
        "measure_kinds": {
            "backup": "备份", "dr": "灾备", "spare_parts": "备品备件", "training": "培训", "drill": "演练",
            "inspection": "巡检", "monitoring": "监控", "go_live": "上线", "power": "供电", "security": "安全",
            "other": "其他"},
        "forms": {
            "registration_slip": "手工挂号单", "prescription": "手工处方",
            "charge_sheet": "划价收费登记单", "dispensing_log": "手工发药登记表"},
        "fields": {
            "date_time": "日期时间", "date": "日期", "time": "时间", "card_no": "卡号", "patient_name": "患者姓名",
            "sex": "性别", "age": "年龄", "insurance_no": "医保号", "department": "科室", "doctor": "医生",
            "visit_type": "号别", "fee": "挂号费（元）", "diagnosis": "临床诊断", "window": "收费窗口",
            "cashier": "收费员", "pharmacy": "药房", "no": "序号", "items": "项目 / 药品",
            "amount": "金额（元）", "invoice_no": "发票号", "drug": "药品名称", "spec": "规格",
            "quantity": "数量", "usage": "用法用量", "drug_spec": "药品名称及规格",
            "rx_kind": "机打/手工处方", "dispensed_by": "发药人", "checked_by": "核对人",
            "registrar_sign": "挂号员签名", "doctor_sign": "医师签名", "priced_by": "划价",
            "cashier_sign": "收费员签名", "reviewer_sign": "复核人签名", "pharmacist_sign": "调配药师签名",
            "total": "合计金额（元）"},
        "sex_choices": ["男", "女"],
    },
    "en": {
        "binder": "Emergency plan binder", "contents": "Contents", "organisation": "Organisation",
        "systems": "Systems", "version": "Version", "effective_date": "Effective date",
        "review_date": "Review date", "source": "Based on", "printed": "Printed",
        "cover_note": "Use this binder when no information system works. Keep it in its place and "
                      "replace it whenever the plan changes.",
        "sec_organisation": "Organisation and duties", "group": "Group", "members": "Staffing",
        "members_fmt": "{core} core, {backup} backup", "roles": "Roles", "skills": "Skills", "contacts": "Contacts",
        "contacts_note": "Fill in the blanks by hand; update them when people or numbers change.",
        "role": "Role", "name": "Name", "phone": "Phone",
        "sec_levels": "Incident levels and response", "level": "Level", "rank": "Severity", "any": "any",
        "escalation": "Escalation while nobody acknowledges",
        "escalation_fmt": "If nobody acknowledges within {timeout}, notify in turn: {chain}.",
        "renotify_fmt": "While nobody acknowledges, page the whole chain again every {interval}; "
                        "acknowledged but unresolved, remind the commander every {interval}.",
        "sec_categories": "Problem categories and intake", "examples": "Examples", "sla": "Time limits",
        "intake": "Fault intake", "sec_scenarios": "Fault scenarios", "default_level": "Default level",
        "no": "No.", "done": "Done",
        "see_above": "see above", "question": "Q", "action": "Do",
        "sec_notices": "Notices", "audience": "Audience",
        "sec_preparedness": "Preparedness", "kind": "Kind", "schedule": "Schedule",
        "responsible": "Responsible unit", "due_by": "Due", "title": "Measure",
        "sec_duty_cards": "Department duty cards", "card_heading": "Duty card: {department}",
        "sec_forms": "Paper downtime forms", "emergency_mark": "EMERGENCY DATA", "serial": "Serial No.",
        "entered_back": "Entered into the HIS after recovery", "entered_by": "Entered by",
        "entered_at": "Entered at", "none": "none",
        "immediate": "immediately", "units": {"s": "s", "min": "min", "h": "h", "d": "d", "wd": "working days"},
        "unit_sep": " ",
        "list_sep": ", ",
        "phases": {"prepare": "prepare", "respond": "respond", "recover": "recover"},
        "audiences": {"patient": "patients", "staff": "staff"},
        "channel_names": {
            "wecom": "WeCom", "dingtalk": "DingTalk", "feishu": "Feishu", "sms": "SMS", "email": "email",
            "phone": "phone", "webhook": "webhook", "hotline": "hotline", "broadcast": "public address",
            "official_account": "official account", "app_banner": "app banner", "screen": "screens",
            "chat_group": "duty chat group"},
        "measure_kinds": {
            "backup": "backup", "dr": "disaster recovery", "spare_parts": "spare parts", "training": "training",
            "drill": "drill", "inspection": "inspection", "monitoring": "monitoring", "go_live": "go-live",
            "power": "power", "security": "security", "other": "other"},
        "forms": {
            "registration_slip": "Manual registration slip", "prescription": "Handwritten prescription",
            "charge_sheet": "Charge sheet", "dispensing_log": "Dispensing log"},
        "fields": {
            "date_time": "Date and time", "date": "Date", "time": "Time", "card_no": "Card No.",
            "patient_name": "Patient name", "sex": "Sex", "age": "Age", "insurance_no": "Insurance No.",
            "department": "Department", "doctor": "Doctor", "visit_type": "Visit type", "fee": "Fee",
            "diagnosis": "Diagnosis", "window": "Window", "cashier": "Cashier", "pharmacy": "Pharmacy",
            "no": "No.", "items": "Items / drugs", "amount": "Amount", "invoice_no": "Invoice No.",
            "drug": "Drug", "spec": "Strength", "quantity": "Qty", "usage": "Dose and use",
            "drug_spec": "Drug and strength", "rx_kind": "Rx (printed / handwritten)",
            "dispensed_by": "Dispensed by", "checked_by": "Checked by", "registrar_sign": "Registrar",
            "doctor_sign": "Doctor's signature", "priced_by": "Priced by", "cashier_sign": "Cashier",
            "reviewer_sign": "Reviewed by", "pharmacist_sign": "Pharmacist", "total": "Total"},
        "sex_choices": ["M", "F"],
    },
}


@dataclass(frozen=True)
class FormSpec:
    """A blank paper form: fields to fill once, an item table, and signatures (keys of LABELS 'fields')."""

    key: str
    fields: tuple[str, ...]
    columns: tuple[str, ...] = ()
    rows: int = 0
    signatures: tuple[str, ...] = ()


# What the seeds ask to be written down while the HIS is down, so it can be entered afterwards.
FORM_SPECS = (
    FormSpec("registration_slip",
             fields=("date_time", "card_no", "patient_name", "sex", "age", "insurance_no", "department",
                     "doctor", "visit_type", "fee"),
             signatures=("registrar_sign",)),
    FormSpec("prescription",
             fields=("date_time", "card_no", "patient_name", "sex", "age", "insurance_no", "department",
                     "doctor", "diagnosis"),
             columns=("no", "drug", "spec", "quantity", "usage", "amount"), rows=8,
             signatures=("doctor_sign", "priced_by", "total", "dispensed_by", "checked_by")),
    FormSpec("charge_sheet",
             fields=("date", "window", "cashier"),
             columns=("no", "time", "card_no", "patient_name", "insurance_no", "department", "doctor", "items",
                      "amount", "invoice_no"), rows=18,
             signatures=("total", "cashier_sign", "reviewer_sign")),
    FormSpec("dispensing_log",
             fields=("date", "pharmacy"),
             columns=("no", "time", "card_no", "patient_name", "department", "doctor", "drug_spec", "quantity",
                      "amount", "rx_kind", "dispensed_by", "checked_by"), rows=18,
             signatures=("pharmacist_sign", "reviewer_sign")),
)


# Handwriting needs room where names of drugs and items go; a serial number needs little.
_COLUMN_SIZES = {"no": "narrow", "quantity": "narrow", "sex": "narrow",
                 "drug": "wide", "drug_spec": "wide", "items": "wide", "usage": "wide"}


@dataclass
class Contact:
    """One person to print in the contact table: `role` is a role id of the plan."""

    role: str
    name: str
    phone: str = ""


@dataclass
class Line:
    """One line of an indented outline (decision tree)."""

    depth: int
    kind: str  # question, answer, action, see
    text: str


@dataclass
class Section:
    anchor: str
    title: str
    entries: list[tuple[str, str]] = field(default_factory=list)  # (anchor, title) under it


@dataclass
class Form:
    key: str
    title: str
    fields: list[tuple[str, list[str]]]  # (label, choices to tick)
    columns: list[tuple[str, str]]  # (label, size: narrow, wide or "")
    rows: int
    signatures: list[str]

    @property
    def blank_rows(self) -> range:
        return range(self.rows)

    @property
    def field_rows(self) -> list[list[tuple[str, list[str]]]]:
        """Fields two to a line, as the paper form lays them out."""
        return [self.fields[i:i + 2] for i in range(0, len(self.fields), 2)]


@dataclass
class Binder:
    plan: schema.Plan
    t: dict
    printed: str
    contents: list[Section]
    groups: list[dict]
    contacts: list[dict]
    escalation: str
    levels: list[dict]
    categories: list[dict]
    intake: dict
    scenarios: list[dict]
    notices: list[dict]
    preparedness: list[dict]
    cards: list[dict]
    forms: list[Form]


def render_binder(plan: schema.Plan, fmt: str, contacts: list[Contact] | None = None) -> bytes:
    """The binder of `plan` as "pdf" or "docx" bytes; `contacts` fills the contact table."""
    renderers = {"pdf": _pdf, "docx": _docx}
    if fmt not in renderers:
        raise ValueError(f"fmt must be one of {', '.join(renderers)}, not {fmt!r}")
    return renderers[fmt](prepare(plan, contacts))


def labels(plan: schema.Plan) -> dict:
    """The binder's words in the plan's language: its own (LABELS) and those it shares with the
    screens (vocabulary)."""
    language = plan.language
    command_centre = next((g.name for g in plan.groups if g.kind == "command"), "")
    with translation.override(language):
        chain = vocabulary.escalation_step_names(command_centre)
        command = str(vocabulary.ESCALATION_STEPS["command_centre"])
    return {**LABELS[language], **vocabulary.in_language(vocabulary.TERMS, language), "chain": chain,
            "command": command, "scopes": vocabulary.in_language(vocabulary.SCOPES, language),
            "unless": vocabulary.in_language(vocabulary.UNLESS, language)}


def prepare(plan: schema.Plan, contacts: list[Contact] | None = None) -> Binder:
    t = labels(plan)
    names = {g.id: g.name for g in plan.groups} | {r.id: r.title for r in plan.roles}
    levels = {lv.id: lv.name for lv in plan.levels}
    words = _Words(plan.language, t, names, levels)
    binder = Binder(
        plan=plan, t=t, printed=timezone.localtime(clock.now()).date().isoformat(), contents=[],
        groups=[_group(g, plan, words) for g in plan.groups],
        contacts=_contact_rows(plan, contacts or [], names),
        escalation=_escalation(plan.escalation, words),
        levels=[_level(lv, words) for lv in sorted(plan.levels, key=lambda lv: lv.rank)],
        categories=[_category(c, words) for c in plan.problem_categories],
        intake={"channels": words.channels(plan.intake.channels) if plan.intake.channels else "",
                "steps": plan.intake.steps},
        scenarios=[_scenario(s, plan, words) for s in plan.scenarios],
        notices=[{"notice": n, "audience": t["audiences"][n.audience], "channels": words.channels(n.channels)}
                 for n in plan.notices],
        preparedness=[{"measure": m, "kind": t["measure_kinds"][m.kind], "owner": words.name(m.owner)}
                      for m in plan.preparedness],
        cards=[_card(c, plan, words) for c in plan.duty_cards],
        forms=[_form(spec, t) for spec in FORM_SPECS],
    )
    binder.contents = _contents(binder)
    return binder


def say_duration(text: str, language: str) -> str:
    """A plan duration in words of `language` (a plan language): 30min -> "30 分钟" or "30 min"."""
    t = LABELS[language]
    if text == "immediate":
        return t["immediate"]
    m = re.match(r"^(\d+)\s*(\w+)$", text)
    return f"{m[1]}{t['unit_sep']}{t['units'][m[2]]}"


class _Words:
    """The plan's ids and enums said in the plan's language."""

    def __init__(self, language, t, names, levels):
        self.language, self.t, self.names, self.levels = language, t, names, levels

    def name(self, ident: str | None) -> str:
        return self.names.get(ident, ident) if ident else ""

    def join(self, items) -> str:
        return self.t["list_sep"].join(items) or self.t["none"]

    def names_of(self, idents) -> str:
        return self.join(self.name(i) for i in idents)

    def channels(self, channels) -> str:
        return self.join(self.t["channel_names"][c.value] for c in channels)

    def level(self, ident: str | None) -> str:
        return self.levels.get(ident, ident) if ident else ""

    def duration(self, text: str | None) -> str:
        return self.t["as_decided"] if text is None else say_duration(text, self.language)

    def offset(self, text: str) -> str:
        """A timer's moment from the start of the incident: T+30 min."""
        return "T+0" if text == "immediate" else f"T+{self.duration(text)}"


def _group(group: schema.Group, plan: schema.Plan, words: _Words) -> dict:
    return {
        "group": group, "kind": words.t["command"] if group.kind == "command" else words.t["group"],
        "lead": words.name(group.lead), "parent": words.name(group.parent),
        "members": words.t["members_fmt"].format(core=group.members.core, backup=group.members.backup)
        if group.members.core or group.members.backup else "",
        "roles": [r for r in plan.roles if r.group == group.id],
    }


def _contact_rows(plan: schema.Plan, contacts: list[Contact], names: dict) -> list[dict]:
    """One row per person given for a role; a role nobody was given for gets a blank row to write in."""
    rows = []
    for role in plan.roles:
        people = [c for c in contacts if c.role == role.id] or [Contact(role.id, "", "")]
        rows += [{"group": names.get(role.group, role.group), "role": role.title, "name": c.name,
                  "phone": c.phone} for c in people]
    return rows


def _escalation(escalation: schema.Escalation, words: _Words) -> str:
    t = words.t
    text = t["escalation_fmt"].format(timeout=words.duration(escalation.ack_timeout),
                                      chain=" → ".join(t["chain"][c] for c in escalation.chain))
    if escalation.renotify_after:
        text += t["renotify_fmt"].format(interval=words.duration(escalation.renotify_after))
    return text


def _level(level: schema.Level, words: _Words) -> dict:
    t, criteria = words.t, level.criteria
    pct = criteria.users_pct
    return {
        "level": level,
        "scope": words.join(t["scopes"][s.value] for s in criteria.scope) if criteria.scope else t["any"],
        "users_pct": _percent(pct) if pct else t["any"],
        "services": words.join(criteria.services) if criteria.services else "",
        "respond": words.duration(level.sla.respond) + (f" ({level.sla.note})" if level.sla.note else ""),
        "resolve": words.duration(level.sla.resolve),
        "lead": words.name(level.lead), "notify": words.names_of(level.notify),
        "channels": words.channels(level.channels),
    }


def _percent(pct: schema.Percent) -> str:
    low, low_inc, high, high_inc = pct.bounds()
    parts = []
    if low > 0 or not low_inc:
        parts.append(f"{'≥' if low_inc else '>'}{low:g}%")
    if high < 100 or not high_inc:
        parts.append(f"{'≤' if high_inc else '<'}{high:g}%")
    return " ".join(parts)


def _category(category: schema.ProblemCategory, words: _Words) -> dict:
    sla = category.sla
    return {"category": category, "level": words.level(category.level),
            "respond": (words.duration(sla.respond) + (f" ({sla.note})" if sla.note else "")) if sla else "",
            "resolve": words.duration(sla.resolve) if sla else ""}


def _scenario(scenario: schema.Scenario, plan: schema.Plan, words: _Words) -> dict:
    steps = {s.id: n for n, s in enumerate(scenario.steps, 1)}
    scenario_names = {s.id: s.name for s in plan.scenarios}
    cards = {c.id: c.department for c in plan.duty_cards}
    return {
        "scenario": scenario, "anchor": f"scenario-{scenario.id}", "level": words.level(scenario.level),
        "tree": _outline(scenario.decision_tree, words) if scenario.decision_tree else [],
        "steps": [{"number": steps[s.id], "step": s, "owner": words.name(s.owner), "due": words.duration(s.due)
                   if s.due else "", "phase": words.t["phases"][s.phase],
                   "switch_to": scenario_names.get(s.switch_to, s.switch_to or "")} for s in scenario.steps],
        "timers": [_timer(timer, words) for timer in scenario.timers],
        "cards": words.join(cards.get(c, c) for c in scenario.duty_cards) if scenario.duty_cards else "",
    }


def _timer(timer: schema.Timer, words: _Words) -> str:
    condition = words.t["unless"][timer.unless]
    what = timer.action.text if timer.action else timer.description
    return f"{words.offset(timer.after)} ({condition}) → {what}"


def _outline(tree: schema.DecisionTree, words: _Words) -> list[Line]:
    """The tree as an indented question / answer outline; a loop back is written as "see above"."""
    nodes = {n.id: n for n in tree.nodes}
    lines: list[Line] = []

    def walk(node_id: str, depth: int, path: tuple[str, ...]):
        node = nodes.get(node_id)
        if node is None or node_id in path:
            target = node.question or node.action if node else node_id
            lines.append(Line(depth, "see", words.t["see_above"] + words.t["colon"] + target))
            return
        if node.action:
            owner = f" ({words.name(node.owner)})" if node.owner else ""
            lines.append(Line(depth, "action", node.action + owner))
        if node.question:
            lines.append(Line(depth, "question", node.question))
            for answer in node.answers:
                lines.append(Line(depth + 1, "answer", answer.answer))
                walk(answer.next, depth + 2, path + (node_id,))

    walk(tree.start, 0, ())
    return lines


def _card(card: schema.DutyCard, plan: schema.Plan, words: _Words) -> dict:
    activated_by = [s.name for s in plan.scenarios
                    if card.id in s.duty_cards or any(t.action and card.id in t.action.cards for t in s.timers)]
    return {"card": card, "anchor": f"card-{card.id}",
            "heading": words.t["card_heading"].format(department=card.department),
            "forms": words.join(words.t["forms"][f] for f in card.forms) if card.forms else "",
            "activated_by": words.join(activated_by) if activated_by else ""}


def _form(spec: FormSpec, t: dict) -> Form:
    labels = t["fields"]
    return Form(
        key=spec.key, title=t["forms"][spec.key],
        fields=[(labels[f], t["sex_choices"] if f == "sex" else []) for f in spec.fields],
        columns=[(labels[c], _COLUMN_SIZES.get(c, "")) for c in spec.columns], rows=spec.rows,
        signatures=[labels[s] for s in spec.signatures])


def _contents(binder: Binder) -> list[Section]:
    t = binder.t
    sections = [Section("organisation", t["sec_organisation"]), Section("levels", t["sec_levels"])]
    if binder.categories or binder.intake["steps"]:
        sections.append(Section("categories", t["sec_categories"]))
    sections.append(Section("scenarios", t["sec_scenarios"],
                            [(s["anchor"], s["scenario"].name) for s in binder.scenarios]))
    if binder.notices:
        sections.append(Section("notices", t["sec_notices"]))
    if binder.preparedness:
        sections.append(Section("preparedness", t["sec_preparedness"]))
    if binder.cards:
        sections.append(Section("duty-cards", t["sec_duty_cards"],
                                [(c["anchor"], c["card"].department) for c in binder.cards]))
    sections.append(Section("forms", t["sec_forms"], [(f"form-{f.key}", f.title) for f in binder.forms]))
    return sections


# --- PDF ---------------------------------------------------------------------------------------

def _pdf(binder: Binder) -> bytes:
    from weasyprint import HTML

    html = render_to_string("plans/print/binder.html", {"b": binder, "font_stack": FONT_STACK})
    return HTML(string=html).write_pdf()


# --- DOCX --------------------------------------------------------------------------------------

def _docx(binder: Binder) -> bytes:
    from docx import Document
    from docx.shared import Mm

    doc = Document()
    docx_fonts(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(18))
    section.header.paragraphs[0].text = binder.plan.name
    docx_page_number(section.footer.paragraphs[0])
    for part in (_docx_cover, _docx_contents, _docx_organisation, _docx_levels, _docx_categories,
                 _docx_scenarios, _docx_notices, _docx_preparedness, _docx_cards, _docx_forms):
        part(doc, binder)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _field(doc, t, key, value):
    if value:
        paragraph = doc.add_paragraph()
        paragraph.add_run(t[key] + t["colon"]).bold = True
        paragraph.add_run(str(value))


def _bullets(doc, items, tick=False):
    for item in items:
        doc.add_paragraph(f"☐ {item}" if tick else item, style=None if tick else "List Bullet")


def _docx_cover(doc, b):
    t, plan = b.t, b.plan
    doc.add_paragraph(t["binder"])
    doc.add_heading(plan.name, 0)
    for key, value in (("organisation", plan.organisation), ("systems", t["list_sep"].join(plan.systems)),
                       ("version", plan.version), ("effective_date", plan.effective_date),
                       ("review_date", plan.review_date), ("source", plan.source), ("printed", b.printed)):
        _field(doc, t, key, value)
    if plan.summary:
        doc.add_paragraph(plan.summary)
    doc.add_paragraph(t["cover_note"]).runs[0].italic = True


def _docx_contents(doc, b):
    docx_heading(doc, b.t["contents"], 1, new_page=True)
    for section in b.contents:
        doc.add_paragraph(section.title).runs[0].bold = True
        for _anchor, title in section.entries:
            doc.add_paragraph(title).paragraph_format.left_indent = _indent(1)


def _indent(depth):
    from docx.shared import Mm

    return Mm(7 * depth)


def _docx_organisation(doc, b):
    t = b.t
    docx_heading(doc, t["sec_organisation"], 1, new_page=True)
    for g in b.groups:
        docx_heading(doc, f"{g['group'].name} · {g['kind']}", 2)
        _field(doc, t, "lead", g["lead"])
        _field(doc, t, "reports_to", g["parent"])
        _field(doc, t, "members", g["members"])
        _bullets(doc, g["group"].duties)
        for role in g["roles"]:
            docx_heading(doc, role.title, 3)
            _bullets(doc, role.duties)
            _field(doc, t, "skills", t["list_sep"].join(role.skills))
    docx_heading(doc, t["contacts"], 2)
    doc.add_paragraph(t["contacts_note"])
    docx_table(doc, [t["group"], t["role"], t["name"], t["phone"]],
           [(c["group"], c["role"], c["name"], c["phone"]) for c in b.contacts], widths=(40, 50, 40, 44))


def _docx_levels(doc, b):
    t = b.t
    docx_heading(doc, t["sec_levels"], 1, new_page=True)
    for lv in b.levels:
        level = lv["level"]
        docx_heading(doc, level.name, 2)
        if level.description:
            doc.add_paragraph(level.description)
        for key, value in (("criteria", level.criteria.description), ("scope", lv["scope"]),
                           ("users_pct", lv["users_pct"]), ("services", lv["services"]),
                           ("respond", lv["respond"]), ("resolve", lv["resolve"]), ("lead", lv["lead"]),
                           ("notify", lv["notify"]), ("channels", lv["channels"])):
            _field(doc, t, key, value)
        if level.actions:
            doc.add_paragraph().add_run(t["actions"]).bold = True
            _bullets(doc, level.actions)
    docx_heading(doc, t["escalation"], 2)
    doc.add_paragraph(b.escalation)


def _docx_categories(doc, b):
    t = b.t
    if not (b.categories or b.intake["steps"]):
        return
    docx_heading(doc, t["sec_categories"], 1, new_page=True)
    if b.categories:
        docx_table(doc, [t["category"], t["criteria"], t["start_level"], t["respond"], t["resolve"], t["examples"]],
               [(c["category"].name, c["category"].description, c["level"], c["respond"], c["resolve"],
                 t["list_sep"].join(c["category"].examples)) for c in b.categories])
    if b.intake["steps"]:
        docx_heading(doc, t["intake"], 2)
        _field(doc, t, "channels", b.intake["channels"])
        for step in b.intake["steps"]:
            doc.add_paragraph(step, style="List Number")


def _docx_scenarios(doc, b):
    t = b.t
    docx_heading(doc, t["sec_scenarios"], 1, new_page=True)
    for number, s in enumerate(b.scenarios, 1):
        scenario = s["scenario"]
        docx_heading(doc, f"{number}. {scenario.name}", 2, new_page=number > 1)
        for key, value in (("category", scenario.category), ("components", t["list_sep"].join(scenario.components)),
                           ("default_level", s["level"]), ("cards_activated", s["cards"])):
            _field(doc, t, key, value)
        docx_heading(doc, t["risk"], 3)
        doc.add_paragraph(scenario.risk)
        if scenario.prevention:
            docx_heading(doc, t["prevention"], 3)
            _bullets(doc, scenario.prevention)
        if scenario.triggers:
            docx_heading(doc, t["triggers"], 3)
            _bullets(doc, [trigger.description for trigger in scenario.triggers])
        if s["tree"]:
            docx_heading(doc, t["decision_tree"], 3)
            for line in s["tree"]:
                paragraph = doc.add_paragraph()
                paragraph.paragraph_format.left_indent = _indent(line.depth)
                paragraph.paragraph_format.space_after = 0
                run = paragraph.add_run(_outline_text(line, t))
                run.bold = line.kind == "question"
        if s["steps"]:
            docx_heading(doc, t["steps"], 3)
            docx_table(doc, [t["no"], t["step"], t["owner"], t["due"], t["done"]],
                   [(st["number"], _step_text(st, t), st["owner"], st["due"], "☐") for st in s["steps"]],
                   widths=(12, 100, 32, 20, 12))
        if s["timers"]:
            docx_heading(doc, t["timers"], 3)
            _bullets(doc, s["timers"])


def _outline_text(line: Line, t: dict) -> str:
    marks = {"question": f"{t['question']}: ", "answer": "→ ", "action": "▶ ", "see": "↑ "}
    return marks[line.kind] + line.text


def _step_text(step: dict, t: dict) -> str:
    text = step["step"].title
    if step["step"].detail:
        text += f"\n{step['step'].detail}"
    if step["switch_to"]:
        text += f"\n{t['switch_to']}{t['colon']}{step['switch_to']}"
    return text


def _docx_notices(doc, b):
    t = b.t
    if not b.notices:
        return
    docx_heading(doc, t["sec_notices"], 1, new_page=True)
    for n in b.notices:
        docx_heading(doc, n["notice"].title, 2)
        _field(doc, t, "audience", n["audience"])
        _field(doc, t, "channels", n["channels"])
        doc.add_paragraph(n["notice"].body)


def _docx_preparedness(doc, b):
    t = b.t
    if not b.preparedness:
        return
    docx_heading(doc, t["sec_preparedness"], 1, new_page=True)
    docx_table(doc, [t["kind"], t["title"], t["owner"], t["schedule"], t["due_by"]],
           [(p["kind"], f"{p['measure'].title}\n{p['measure'].text}", p["owner"] or p["measure"].responsible,
             p["measure"].schedule, p["measure"].due) for p in b.preparedness], widths=(20, 90, 30, 24, 20))


def _docx_cards(doc, b):
    t = b.t
    if not b.cards:
        return
    docx_heading(doc, t["sec_duty_cards"], 1, new_page=True)
    for index, c in enumerate(b.cards):
        card = c["card"]
        docx_heading(doc, c["heading"], 2, new_page=index > 0)
        for key, value in (("coordinator", card.coordinator), ("when", card.when),
                           ("activated_by", c["activated_by"]), ("forms_used", c["forms"])):
            _field(doc, t, key, value)
        docx_heading(doc, t["duties"], 3)
        _bullets(doc, card.duties, tick=True)
        if card.keep_for_recovery:
            docx_heading(doc, t["keep_for_recovery"], 3)
            _bullets(doc, card.keep_for_recovery, tick=True)


def _docx_forms(doc, b):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    t = b.t
    docx_heading(doc, t["sec_forms"], 1, new_page=True)
    for index, form in enumerate(b.forms):
        heading = docx_heading(doc, form.title, 2, new_page=index > 0)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        mark = doc.add_paragraph()
        mark.add_run(f"【{t['emergency_mark']}】").bold = True
        mark.add_run(f"    {t['serial']}{t['colon']}________________")
        fields = doc.add_table(rows=0, cols=4)
        fields.style = "Table Grid"
        for row in form.field_rows:
            cells = fields.add_row().cells
            for offset, (label, choices) in enumerate(row):
                cells[offset * 2].text = label
                cells[offset * 2 + 1].text = "   ".join(f"☐ {c}" for c in choices)
            if len(row) == 1:  # a last field alone gets the whole line to write on
                cells[1].merge(cells[3])
        doc.add_paragraph()
        if form.columns:
            docx_table(doc, [label for label, _size in form.columns],
                       [[""] * len(form.columns) for _ in form.blank_rows])
        for label in form.signatures:
            doc.add_paragraph(f"{label}{t['colon']}______________________")
        doc.add_paragraph(f"☐ {t['entered_back']}    {t['entered_by']}{t['colon']}__________    "
                          f"{t['entered_at']}{t['colon']}__________")
