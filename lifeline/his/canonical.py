"""The canonical base data: what outpatient work needs when the HIS is gone (seed 003 §3.2.1).

Defined once here: the mapping linter, the HIS adapter and the documentation
(docs/canonical-model.md, written by `lifeline his doc`) all read these definitions.
Every value read from a HIS is checked and normalised per field (`Entity.clean`), so a
bad row is reported by entity, row key and field before it reaches a workstation.

The emergency records (`RECORDS`) are what a workstation writes while the HIS is down;
the mapping says how each is written back into the HIS (merge-back, part 2).
"""
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lifeline.his.wording import gettext as _
from lifeline.his.wording import gettext_noop

TYPES = {
    "text": "text / 文本",
    "integer": "whole number / 整数",
    "decimal": "decimal number, never negative / 非负小数",
    "signed_decimal": "decimal number, negative for a refund / 小数 (退费为负)",
    "date": "date YYYY-MM-DD / 日期",
    "datetime": "date and time / 日期时间",
    "code": "one of a fixed set / 代码",
    "boolean": "true or false / 是否",
}

SEX = {"0": "未知的性别 unknown", "1": "男 male", "2": "女 female", "9": "未说明的性别 not stated"}  # GB/T 2261.1
INSURANCE_CATEGORY = {"甲": "甲类 fully covered", "乙": "乙类 partly covered", "丙": "丙类 not covered (self-pay)"}
SESSION = {"AM": "上午 morning", "PM": "下午 afternoon", "EVE": "晚间 evening"}
STAFF_ROLE = {"doctor": "医生", "nurse": "护士", "pharmacist": "药师", "cashier": "收费员",
              "registrar": "挂号员", "technician": "技师", "other": "其他"}
DEPARTMENT_KIND = {"clinical": "临床科室", "medtech": "医技科室", "pharmacy": "药房", "admin": "行政/收费"}
ITEM_KIND = {"drug": "药品 drug (drug dictionary)", "price_item": "收费项目 charge item (price list)"}

_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")
# GB 11643 (ISO 7064 MOD 11-2): character i of the 18 (from the left, X standing for 10) weighs
# 2 ** (17 - i) modulo 11, and the weighted sum is 1 modulo 11.
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(18)]
# For a column of numbers the sums are computed all at once: the i-th characters of all numbers
# (every 19th byte of the numbers joined by newlines) become bytes (digit * weight) % 11, read as
# one big integer; adding the 18 integers adds byte by byte without a carry (a byte stays below
# 18 * 11), so byte k of the total is number k's weighted sum.
_ID_LANES = [bytes.maketrans(b"0123456789X", bytes(d * w % 11 for d in range(11))) for w in _ID_WEIGHTS]
_MOD_11 = bytes(v % 11 for v in range(256))
# A phone number: what a telephone dials (ASCII digits), with these separators, after an optional +.
PHONE_LENGTH = (5, 20)
PHONE_SEPARATORS = ("-", " ")
_PHONE = re.compile(rf"\+?[0-9{''.join(map(re.escape, PHONE_SEPARATORS))}]{{{PHONE_LENGTH[0]},{PHONE_LENGTH[1]}}}")
# Spellings of a boolean (compared in upper case, spaces at both ends removed).
TRUE_WORDS = ("1", "Y", "YES", "TRUE", "T", "是")
FALSE_WORDS = ("0", "N", "NO", "FALSE", "F", "否")


class InvalidValue(ValueError):
    """A value that breaks its field's rule; the message is the reason (in the reader's language)."""


def id_card_check_digit(first17: str) -> str:
    """The 18th character of a resident ID number."""
    value = (1 - sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))) % 11
    return "X" if value == 10 else str(value)


def check_id_card(value: str) -> str:
    value = value.upper()
    if not _ID_FORM.fullmatch(value):
        raise InvalidValue(_("a resident ID number has 17 digits and a check digit (0-9 or X)"))
    expected = id_card_check_digit(value[:17])
    if value[17] != expected:
        raise InvalidValue(_("check digit is %(found)s, expected %(expected)s") % {"found": value[17],
                                                                                  "expected": expected})
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidValue(_("birth date %(date)s inside the ID number is not a date") % {"date": value[6:14]}) \
            from None
    return value


def check_phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise InvalidValue(_("a phone number has 5 to 20 digits (with - or spaces)"))
    return value


def id_cards_valid(values: list[str], joined: str) -> bool:
    """Whether every number passes check_id_card unchanged, checked a column at a time with
    C-level built-ins on the numbers joined by newlines; False sends the caller to
    check_id_card per value (which also upper-cases an x, and knows every year)."""
    if joined.count("\n") != len(values) - 1 or not _ID_NUMBERS.fullmatch(joined):
        return False
    data, count = joined.encode(), len(values)  # ASCII: the pattern says so
    total = sum(int.from_bytes(data[i::19].translate(lane), "big") for i, lane in enumerate(_ID_LANES))
    return total.to_bytes(count, "big").translate(_MOD_11) == b"\x01" * count


def phones_valid(values: list[str], joined: str) -> bool:
    """Whether every number passes check_phone, checked on the numbers joined by newlines."""
    return joined.count("\n") == len(values) - 1 and bool(_PHONES.fullmatch(joined))


def _lines_of(pattern: str) -> re.Pattern:
    """A pattern matching lines (joined with newlines) that each match `pattern`, which must not
    match a newline."""
    return re.compile(f"{pattern}(?:\n{pattern})*")


# A date YYYYMMDD of the years 1800-2199 as a pattern: the column check of ID numbers checks
# the birth date inside them with it (a number born in another year is checked on its own).
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
              r"|02(?:0[1-9]|1[0-9]|2[0-8]))")
_LEAP_DAY = r"(?:(?:1[89]|2[01])(?:0[48]|[2468][048]|[13579][26])|2000)0229"
DATE_1800_2199 = rf"(?:(?:1[89]|2[01])[0-9]{{2}}{_MONTH_DAY}|{_LEAP_DAY})"
_ID_NUMBERS = _lines_of(rf"[0-9]{{6}}{DATE_1800_2199}[0-9]{{3}}[0-9X]")
_PHONES = _lines_of(_PHONE.pattern)


# Per-value checks of text fields and their column-at-a-time versions (lifeline.his.checking).
COLUMN_CHECKS = {check_id_card: id_cards_valid, check_phone: phones_valid}


def _reason(text: str, value) -> InvalidValue:
    return InvalidValue(_(text) % {"value": repr(value)})


def _text(value):
    text = str(value).strip()
    if not text:
        raise InvalidValue(_("empty"))
    return text


def _integer(value):
    if isinstance(value, bool):
        raise _reason(gettext_noop("%(value)s is not a whole number"), value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _reason(gettext_noop("%(value)s is not a whole number"), value) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise _reason(gettext_noop("%(value)s is not a whole number"), value)
    return int(number)


def _signed_decimal(value):
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise _reason(gettext_noop("%(value)s is not a number"), value) from None
    if not number.is_finite():
        raise _reason(gettext_noop("%(value)s is not a number"), value)
    return number


def _decimal(value):
    number = _signed_decimal(value)
    if number < 0:
        raise InvalidValue(_("%(value)s is negative") % {"value": number})
    return number


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise _reason(gettext_noop("%(value)s is not a date (YYYY-MM-DD)"), value) from None


def _datetime(value):
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    try:
        return datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise _reason(gettext_noop("%(value)s is not a date and time"), value) from None


def _boolean(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise _reason(gettext_noop("%(value)s is not true or false (1/0, Y/N)"), value)


_CONVERT = {"text": _text, "integer": _integer, "decimal": _decimal, "signed_decimal": _signed_decimal,
            "date": _date, "datetime": _datetime, "boolean": _boolean, "code": _text}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    zh: str
    en: str
    required: bool = True
    choices: dict | None = None  # for type "code": value -> meaning
    max_length: int | None = None
    check: object = None  # extra rule for text: str -> normalised str, raises InvalidValue

    def clean(self, value):
        """The value normalised to its Python type (None when absent and optional)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise InvalidValue(_("required, but empty"))
            return None
        value = _CONVERT[self.type](value)
        if self.choices is not None and value not in self.choices:
            raise InvalidValue(_("%(value)s is not one of %(choices)s") % {"value": repr(value),
                                                                          "choices": ", ".join(self.choices)})
        if self.max_length and len(value) > self.max_length:
            raise InvalidValue(_("longer than %(max)d characters") % {"max": self.max_length})
        return self.check(value) if self.check else value


# What became of a row with a bad value (the mapping's on_invalid_row, or the field's on_invalid).
SKIPPED, NULLED, FAILED = "skipped", "nulled", "failed"


@dataclass(frozen=True)
class RowProblem:
    entity: str
    key: str
    field: str
    reason: str
    outcome: str = ""  # SKIPPED (the row left out), NULLED (the value emptied), FAILED (the read stopped)

    def __str__(self):
        return f"{self.entity} {self.key}: {self.field}: {self.reason}"


class InvalidRow(ValueError):
    """A row (or, when a read stops at bad rows, the first few rows) with bad values: every problem."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Entity:
    name: str
    zh: str
    en: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def key_of(self, row: dict) -> str:
        return "/".join(str(row.get(name)) for name in self.key)

    def clean(self, row: dict) -> dict:
        """The row with every field normalised; InvalidRow lists every bad field of it."""
        return self.clean_row(row)[0]

    def clean_row(self, row: dict, nullable=frozenset()) -> tuple[dict, list[RowProblem]]:
        """(the row with every field normalised, problems of the values emptied): a bad value of a
        field in `nullable` (optional fields) is emptied; any other bad value is InvalidRow, which
        lists every bad field of the row."""
        clean, problems = {}, []
        for f in self.fields:
            try:
                clean[f.name] = f.clean(row.get(f.name))
            except InvalidValue as exc:
                problems.append(RowProblem(self.name, self.key_of(row), f.name, str(exc)))
                clean[f.name] = None
        if any(p.field not in nullable for p in problems):
            raise InvalidRow(problems)
        return clean, [RowProblem(p.entity, p.key, p.field, p.reason, NULLED) for p in problems]


def _code(code_zh="编码", code_en="code"):
    return Field("code", "text", code_zh, code_en, max_length=40)


ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("patient", "患者主索引 (EMPI)", "Patient master index", ("card_no",), (
        Field("card_no", "text", "就诊卡号", "Patient card number (the patient's id in the HIS)", max_length=40),
        Field("name", "text", "姓名", "Name", max_length=60),
        Field("sex", "code", "性别 (GB/T 2261.1)", "Sex (GB/T 2261.1 code)", choices=SEX),
        Field("birth_date", "date", "出生日期", "Date of birth"),
        Field("id_card_no", "text", "身份证号 (校验位)", "Resident ID number (check digit verified)",
              required=False, check=check_id_card),
        Field("phone", "text", "联系电话", "Phone number", required=False, check=check_phone),
        Field("insurance_type", "text", "医保类型 (医保类型编码)", "Insurance type (code of an insurance type)",
              required=False),
        Field("insurance_no", "text", "医保号", "Insurance number", required=False, max_length=40),
    )),
    Entity("department", "科室字典", "Departments", ("code",), (
        _code("科室编码", "Department code"),
        Field("name", "text", "科室名称", "Department name", max_length=60),
        Field("kind", "code", "科室类别", "Kind of department", choices=DEPARTMENT_KIND),
        Field("outpatient", "boolean", "是否门诊", "Serves outpatients"),
        Field("location", "text", "位置", "Where it is (building, floor)", required=False),
    )),
    Entity("staff", "员工主索引", "Staff", ("code",), (
        _code("工号", "Staff number"),
        Field("name", "text", "姓名", "Name", max_length=60),
        Field("department_code", "text", "所属科室编码", "Code of the staff member's department"),
        Field("role", "code", "岗位", "Role", choices=STAFF_ROLE),
        Field("title", "text", "职称", "Professional title (主任医师 …)", required=False),
    )),
    Entity("clinic_schedule", "门诊排班", "Clinic schedules", ("schedule_id",), (
        Field("schedule_id", "text", "排班号", "Schedule id"),
        Field("clinic_date", "date", "出诊日期", "Clinic date"),
        Field("session", "code", "时段", "Session", choices=SESSION),
        Field("department_code", "text", "科室编码", "Department code"),
        Field("doctor_code", "text", "医生工号 (普通门诊可空)", "Doctor's staff number (empty for a general clinic)",
              required=False),
        Field("clinic_type", "text", "号别 (普通/专家/急诊)", "Kind of clinic (general, specialist, emergency)"),
        Field("fee", "decimal", "挂号费 (元)", "Registration fee (yuan)"),
        Field("quota", "integer", "号源数", "Number of registrations offered"),
    )),
    Entity("drug", "药品字典", "Drug dictionary", ("code",), (
        _code("药品编码", "Drug code"),
        Field("name", "text", "药品名称", "Drug name", max_length=100),
        Field("spec", "text", "规格", "Specification (strength and pack)", max_length=100),
        Field("form", "text", "剂型", "Dosage form", required=False),
        Field("unit", "text", "单位", "Unit sold"),
        Field("manufacturer", "text", "厂家", "Manufacturer", required=False),
        Field("price", "decimal", "零售价 (元)", "Retail price per unit (yuan)"),
        Field("insurance_category", "code", "医保类别", "Insurance category", choices=INSURANCE_CATEGORY),
    )),
    Entity("drug_stock", "药房库存", "Pharmacy stock", ("pharmacy_code", "drug_code", "batch_no"), (
        Field("pharmacy_code", "text", "药房 (科室编码)", "Pharmacy (department code)"),
        Field("drug_code", "text", "药品编码", "Drug code"),
        Field("batch_no", "text", "批号", "Batch number"),
        Field("quantity", "decimal", "库存数量", "Quantity in stock (units)"),
        Field("expiry_date", "date", "有效期", "Expiry date", required=False),
    )),
    Entity("price_item", "物价项目", "Price items (charge items)", ("code",), (
        _code("项目编码", "Item code"),
        Field("name", "text", "项目名称", "Item name", max_length=100),
        Field("category", "text", "项目类别 (挂号/诊疗/检查/化验/治疗/材料…)", "Category (registration, "
              "consultation, examination, laboratory, treatment, material …)"),
        Field("unit", "text", "单位", "Unit"),
        Field("price", "decimal", "单价 (元)", "Price per unit (yuan)"),
        Field("insurance_category", "code", "医保类别", "Insurance category", choices=INSURANCE_CATEGORY),
    )),
    Entity("insurance_type", "医保类型", "Insurance types", ("code",), (
        _code("医保类型编码", "Insurance type code"),
        Field("name", "text", "名称", "Name (城镇职工医保, 自费 …)"),
        Field("insured", "boolean", "是否医保", "Covered by an insurance (false for self-pay)"),
    )),
    Entity("invoice_range", "发票号段", "Invoice number ranges", ("range_id",), (
        Field("range_id", "text", "号段编号", "Range id"),
        Field("cashier_code", "text", "收费员工号", "Cashier's staff number"),
        Field("first_no", "integer", "起始号", "First invoice number"),
        Field("last_no", "integer", "终止号", "Last invoice number"),
        Field("next_no", "integer", "当前号", "Next invoice number to use"),
    )),
)}

_EVENT = (
    Field("event_id", "text", "事件编号 (全局唯一)", "Event id (unique everywhere; merge-back writes it once)"),
    Field("station", "text", "应急工作站", "Emergency workstation that recorded it"),
    Field("operator_code", "text", "操作员工号", "Operator's staff number"),
    Field("recorded_at", "datetime", "发生时间", "When it happened"),
)

RECORDS: dict[str, Entity] = {e.name: e for e in (
    Entity("new_patient", "应急办卡", "Patient card issued during the downtime", ("event_id",),
           _EVENT + ENTITIES["patient"].fields),
    Entity("registration", "应急挂号", "Registration", ("event_id",), _EVENT + (
        Field("visit_no", "text", "就诊号", "Visit number"),
        Field("card_no", "text", "就诊卡号", "Patient card number"),
        Field("schedule_id", "text", "排班号", "Schedule id", required=False),
        Field("department_code", "text", "科室编码", "Department code"),
        Field("doctor_code", "text", "医生工号", "Doctor's staff number", required=False),
        Field("fee", "decimal", "挂号费 (元)", "Registration fee (yuan)"),
    )),
    Entity("charge", "应急收费", "Charge line on an invoice", ("event_id",), _EVENT + (
        Field("invoice_no", "integer", "发票号", "Invoice number"),
        Field("visit_no", "text", "就诊号", "Visit number", required=False),
        Field("card_no", "text", "就诊卡号", "Patient card number"),
        Field("item_kind", "code", "项目种类", "Kind of item", choices=ITEM_KIND),
        Field("item_code", "text", "项目/药品编码", "Item or drug code"),
        Field("quantity", "signed_decimal", "数量 (退费为负)", "Quantity (negative for a refund)"),
        Field("unit_price", "decimal", "单价 (元)", "Price per unit (yuan)"),
        Field("amount", "signed_decimal", "金额 (元, 退费为负)", "Amount (yuan, negative for a refund)"),
        Field("insurance_category", "code", "医保类别", "Insurance category", choices=INSURANCE_CATEGORY),
        Field("payment_method", "text", "支付方式", "Payment method", required=False),
        Field("refund_of", "text", "原收费事件编号 (退费时)", "Event id of the charge this refunds (a refund or void)",
              required=False),
    )),
    Entity("prescription", "应急处方", "Prescription line", ("event_id",), _EVENT + (
        Field("presc_no", "text", "处方号", "Prescription number"),
        Field("visit_no", "text", "就诊号", "Visit number", required=False),
        Field("card_no", "text", "就诊卡号", "Patient card number"),
        Field("doctor_code", "text", "医生工号", "Doctor's staff number"),
        Field("drug_code", "text", "药品编码", "Drug code"),
        Field("quantity", "decimal", "数量", "Quantity"),
        Field("dosage", "text", "用法用量", "Dosage and usage", required=False),
    )),
    Entity("dispensing", "应急发药", "Dispensing", ("event_id",), _EVENT + (
        Field("presc_no", "text", "处方号", "Prescription number"),
        Field("pharmacy_code", "text", "药房 (科室编码)", "Pharmacy (department code)"),
        Field("drug_code", "text", "药品编码", "Drug code"),
        Field("batch_no", "text", "批号", "Batch number", required=False),
        Field("quantity", "decimal", "数量", "Quantity"),
    )),
)}

# The HIS's number sequences a workstation issues numbers of while the HIS is down (visit_no,
# invoice_no, presc_no, a new patient's card_no): the server leases each station ranges of them
# above the HIS's own next number plus the plan's offset; the mapping says how to read that
# number (`sequences`).
NUMBERS = {"visit": "就诊号", "charge": "收费单号", "prescription": "处方号", "card": "临时病历号"}


@dataclass(frozen=True)
class Lookup:
    """A question merge-back asks the HIS (conflict detection, reconciliation): the mapping's
    `merge_back_lookups.<name>.query` takes `binds` as :name parameters and yields `columns`."""
    name: str
    en: str
    binds: tuple[str, ...]
    columns: tuple[Field, ...]


_PATIENT = ENTITIES["patient"].by_name
_PATIENT_FOUND = (_PATIENT["card_no"], _PATIENT["name"], _PATIENT["birth_date"])

LOOKUPS: dict[str, Lookup] = {lookup.name: lookup for lookup in (
    Lookup("patient_by_id_card", "the HIS's patients with this resident ID number (a temporary card's "
           "merge candidates)", ("id_card_no",), _PATIENT_FOUND),
    Lookup("patient_by_name_birth", "the HIS's patients with this name and birth date", ("name", "birth_date"),
           _PATIENT_FOUND),
    Lookup("invoice_used", "the HIS's own charges (not merged back) on this invoice number", ("invoice_no",), (
        Field("invoice_no", "integer", "发票号", "Invoice number"),
        Field("card_no", "text", "就诊卡号", "Patient card number", required=False),
        Field("cashier_code", "text", "收费员工号", "Cashier's staff number", required=False),
        Field("charged_at", "datetime", "收费时间", "When it was charged", required=False),
    )),
    Lookup("price", "the HIS's current price of a drug or charge item", ("item_kind", "item_code"), (
        Field("unit_price", "decimal", "单价 (元)", "Price per unit (yuan)"),
    )),
    Lookup("stock", "the HIS's stock of a drug in a pharmacy, all batches", ("pharmacy_code", "drug_code"), (
        Field("quantity", "signed_decimal", "库存数量", "Quantity in stock (units)"),
    )),
    Lookup("cashier_takings", "each cashier's takings per payment method charged in [start, end)",
           ("start", "end"), (
        Field("cashier_code", "text", "收费员工号", "Cashier's staff number"),
        Field("payment_method", "text", "支付方式", "Payment method", required=False),
        Field("amount", "signed_decimal", "金额 (元)", "Amount (yuan)"),
    )),
)}

def markdown() -> str:
    """docs/canonical-model.md: every entity and record with its fields (kept equal by a test)."""
    lines = [
        "# Canonical base data model",
        "",
        "<!-- Written by `lifeline his doc` from lifeline/his/canonical.py; do not edit by hand. -->",
        "",
        "What outpatient work needs when the HIS is gone (seed 003 §3.2.1). A HIS mapping file",
        "gives, per entity, the SQL query whose columns are exactly these fields (use `NULL AS field`",
        "for an optional field the HIS does not have). Every value is checked against its field;",
        "a bad row is reported by entity, row key and field.",
        "",
        "Types: " + "; ".join(f"`{name}` {meaning}" for name, meaning in TYPES.items()) + ".",
        "",
        *rules_markdown(),
        "## Base data (read from the HIS)",
        "",
    ]
    for entity in ENTITIES.values():
        lines += _entity_markdown(entity)
    lines += ["## Emergency records (written back into the HIS after the downtime)", ""]
    for entity in RECORDS.values():
        lines += _entity_markdown(entity)
    return "\n".join(lines)


def rules_markdown() -> list[str]:
    """The checks every value passes, worded from the constants and functions that make them."""
    optional = [f"`{e.name}.{f.name}`" for e in ENTITIES.values() for f in e.fields if not f.required]
    separators = " and ".join({"-": "hyphens (-)", " ": "spaces"}.get(s, f"`{s}`") for s in PHONE_SEPARATORS)
    return [
        "## Validation rules",
        "",
        "Every value read from the HIS passes these rules before it reaches a package; the rules below are",
        "written from the code that applies them (`lifeline/his/canonical.py`).",
        "",
        "| applies to | rule |",
        "| --- | --- |",
        "| every field | NULL, and text of nothing but spaces, is *absent*: a required field refuses it "
        "(`required, but empty`), an optional field is stored empty |",
        "| `text`, `code` | spaces at both ends are removed; a number from the HIS is taken as its text "
        "(`1001` becomes `\"1001\"`); nothing else is changed (no case folding, no full-width to "
        "half-width) |",
        "| `text` with a length | at most that many characters (Unicode characters, not bytes), counted "
        "after the spaces at both ends are removed |",
        "| `code` | exactly one of the codes listed for the field (case matters) |",
        "| `integer` | a whole number: `12`, `12.0` and `\"12\"` are 12; `12.5`, `true` and text that is not "
        "a number are refused |",
        "| `decimal` | a finite number, never negative; kept as the HIS stores it, with its decimal places "
        "(`9.80` stays `9.80`, a NUMERIC(12,4) `9.8000` stays `9.8000`); a floating-point number is "
        "taken by its shortest text (`9.8`); `NaN` and infinities are refused; nothing is rounded |",
        "| `date` | a date; a date and time gives its date (the time is dropped); text gives the date of its "
        "first 10 characters (`YYYY-MM-DD`) |",
        "| `datetime` | a date and time; a date is midnight; text is ISO 8601 (`YYYY-MM-DD HH:MM[:SS]`) |",
        "| `boolean` | true: " + ", ".join(f"`{w}`" for w in TRUE_WORDS) + "; false: "
        + ", ".join(f"`{w}`" for w in FALSE_WORDS) + " (any case, spaces at both ends ignored; the "
        "whole numbers 1 and 0 too) |",
        "| resident ID number (`id_card_no`) | 18 characters: 17 digits and a check digit `0`-`9` or `X`; a "
        "lower-case `x` is stored as `X`; the check digit must be the one GB 11643 (ISO 7064 MOD 11-2) "
        "gives; characters 7-14 must be a date (the birth date) |",
        f"| phone number (`phone`) | {PHONE_LENGTH[0]} to {PHONE_LENGTH[1]} characters, each an ASCII digit "
        f"`0`-`9` or one of the separators ({separators}), after an optional `+` at the start; letters, "
        f"`无`, `/`, `;`, full-width digits and two numbers in one field are refused |",
        "",
        "Optional fields (the only ones a mapping may empty when their value is bad, with "
        "`on_invalid: null`; see docs/his-mapping.md): " + ", ".join(optional) + ".",
        "",
        "A bad value fails the read, leaves its row out, or (optional fields) is emptied, as the mapping "
        "says: `on_invalid_row` per entity, `fields.<name>.on_invalid` per field.",
        "",
    ]


def _entity_markdown(entity: Entity) -> list[str]:
    lines = [f"### `{entity.name}` {entity.zh} / {entity.en}", "",
             f"Key: {', '.join(f'`{k}`' for k in entity.key)}", "",
             "| field | type | required | 含义 | meaning |", "| --- | --- | --- | --- | --- |"]
    for f in entity.fields:
        meaning = f.en
        if f.choices:
            meaning += " — " + ", ".join(f"`{code}` {label}" for code, label in f.choices.items())
        if f.check is check_id_card:
            meaning += " — 18 characters, GB 11643 check digit"
        if f.max_length:
            meaning += f" — at most {f.max_length} characters"
        lines.append(f"| `{f.name}` | {f.type} | {'yes' if f.required else 'no'} | {f.zh} | {meaning} |")
    return lines + [""]
