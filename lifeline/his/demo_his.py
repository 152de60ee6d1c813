"""A demo HIS: a vendor-like outpatient schema filled with realistic Chinese data.

It stands in for a hospital's HIS in the demo, the tests and the benchmarks. The schema is
deliberately not Lifeline's: upper-case Oracle-style tables and column names (PAT_MASTER_INDEX,
DEPT_DICT, … ; SEX as 男/女, prices as RETAIL_PRICE), last-modified columns for watermarks, and
outpatient transaction tables whose ids come from sequences. `mapping_text` writes the mapping
file that turns it into the canonical model.

    build("postgresql+psycopg://postgres@127.0.0.1:5432/his", patients=1_000_000, seed=1)

Data is generated from pools (names drawn once from Faker zh_CN, area codes, phone
prefixes) combined with one seeded random generator, so a million patients take seconds
and the same seed gives the same HIS. PostgreSQL is loaded with COPY, the others with
batched executemany inserts.
"""
import datetime
import io
import random
import textwrap
from decimal import Decimal

import sqlalchemy as sa
from faker import Faker
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider
from faker.providers.ssn.zh_CN import Provider as SsnProvider
from sqlalchemy.dialects import mysql

from lifeline.core import databases
from lifeline.his.canonical import id_card_check_digit
from lifeline.his.writer import ledger_metadata

BATCH = 20_000
Stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
Money = sa.Numeric(12, 4)
RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite numbers only INTEGER keys itself

metadata = sa.MetaData()


def _table(name, *columns, **kwargs):
    return sa.Table(name, metadata, *columns,
                    sa.Column("LAST_MODIFY_DATE", Stamp, nullable=False, index=True),
                    mysql_charset="utf8mb4", mariadb_charset="utf8mb4", **kwargs)


def _sequenced(name, *columns):
    """An outpatient transaction table; its id comes from SEQ_<table> (autoincrement on SQLite).
    The sequence is also the column's server default, so COPY and plain INSERTs that leave the
    id out (merge-back statements) are numbered by it too."""
    sequence = sa.Sequence(f"SEQ_{name}")
    table = _table(name, sa.Column(f"{name.removeprefix('OUTP_')}_ID", RowId, sequence, primary_key=True),
                   *columns, sa.Column("EMERGENCY_EVENT_ID", sa.String(40), unique=True),  # 应急数据恢复标记
                   sqlite_autoincrement=True)
    column = table.primary_key.columns[0].name
    sa.event.listen(table, "after_create", sa.DDL(
        f'ALTER TABLE "{name}" ALTER COLUMN "{column}" SET DEFAULT nextval(\'"{sequence.name}"\')')
        .execute_if(dialect="postgresql"))
    sa.event.listen(table, "after_create", sa.DDL(
        f"ALTER TABLE {name} ALTER COLUMN {column} SET DEFAULT (NEXT VALUE FOR {sequence.name})")
        .execute_if(dialect=("mysql", "mariadb")))
    return table


def S(n):  # noqa: N802 - a vendor schema reads better with short column types
    return sa.String(n)


PAT_MASTER_INDEX = _table(
    "PAT_MASTER_INDEX",
    sa.Column("PATIENT_ID", S(20), primary_key=True), sa.Column("NAME", S(40), nullable=False),
    sa.Column("SEX", S(4), nullable=False), sa.Column("DATE_OF_BIRTH", sa.Date, nullable=False),
    sa.Column("ID_NO", S(18)), sa.Column("PHONE_NUMBER", S(20)), sa.Column("CHARGE_TYPE", S(8)),
    sa.Column("INSURANCE_NO", S(32)), sa.Column("CREATE_DATE", Stamp, nullable=False),
    sa.Column("EMERGENCY_EVENT_ID", S(40)),  # 应急数据恢复标记: a card issued during a downtime
    sa.Index("IX_PAT_ID_NO", "ID_NO"), sa.Index("IX_PAT_NAME_BIRTH", "NAME", "DATE_OF_BIRTH"))  # merge candidates
INSURANCE_DICT = _table(
    "INSURANCE_DICT", sa.Column("INSUR_CODE", S(8), primary_key=True), sa.Column("INSUR_NAME", S(40)),
    sa.Column("SELF_PAY_FLAG", S(1)))
DEPT_DICT = _table(
    "DEPT_DICT", sa.Column("DEPT_CODE", S(8), primary_key=True), sa.Column("DEPT_NAME", S(40)),
    sa.Column("CLINIC_ATTR", S(8)), sa.Column("OUTP_FLAG", S(1)), sa.Column("POSITION", S(40)))
STAFF_DICT = _table(
    "STAFF_DICT", sa.Column("EMP_NO", S(10), primary_key=True), sa.Column("NAME", S(40)),
    sa.Column("DEPT_CODE", S(8)), sa.Column("JOB", S(8)), sa.Column("TITLE", S(20)))
CLINIC_SCHEDULE = _table(
    "CLINIC_SCHEDULE", sa.Column("SCHEDULE_NO", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("CLINIC_DATE", sa.Date), sa.Column("TIME_DESC", S(4)), sa.Column("DEPT_CODE", S(8)),
    sa.Column("DOCTOR", S(10)), sa.Column("CLINIC_LABEL", S(10)), sa.Column("REGIST_FEE", Money),
    sa.Column("REGIST_LIMIT", sa.Integer))
DRUG_DICT = _table(
    "DRUG_DICT", sa.Column("DRUG_CODE", S(20), primary_key=True), sa.Column("DRUG_NAME", S(60)),
    sa.Column("DRUG_SPEC", S(40)), sa.Column("DRUG_FORM", S(10)), sa.Column("UNITS", S(8)),
    sa.Column("FIRM_ID", S(40)), sa.Column("RETAIL_PRICE", Money), sa.Column("INSUR_CLASS", S(2)))
DRUG_STOCK = _table(
    "DRUG_STOCK", sa.Column("STORAGE", S(8), primary_key=True), sa.Column("DRUG_CODE", S(20), primary_key=True),
    sa.Column("BATCH_NO", S(20), primary_key=True), sa.Column("QUANTITY", Money),
    sa.Column("EXPIRE_DATE", sa.Date))
PRICE_LIST = _table(
    "PRICE_LIST", sa.Column("ITEM_CODE", S(20), primary_key=True), sa.Column("ITEM_NAME", S(60)),
    sa.Column("ITEM_CLASS", S(2)), sa.Column("UNITS", S(8)), sa.Column("PRICE", Money),
    sa.Column("INSUR_CLASS", S(2)), sa.Column("START_DATE", sa.Date), sa.Column("STOP_DATE", sa.Date))
BILL_RANGE = _table(
    "BILL_RANGE", sa.Column("RANGE_ID", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("OPERATOR_NO", S(10)), sa.Column("START_NO", sa.BigInteger), sa.Column("END_NO", sa.BigInteger),
    sa.Column("CURRENT_NO", sa.BigInteger), sa.Column("USE_FLAG", S(1)))
OUTP_REGISTER = _sequenced(
    "OUTP_REGISTER", sa.Column("VISIT_NO", S(20), nullable=False), sa.Column("PATIENT_ID", S(20), index=True),
    sa.Column("SCHEDULE_NO", sa.Integer), sa.Column("DEPT_CODE", S(8)), sa.Column("DOCTOR", S(10)),
    sa.Column("REGIST_FEE", Money), sa.Column("REGIST_DATE", Stamp), sa.Column("OPERATOR_NO", S(10)))
OUTP_CHARGE = _sequenced(
    "OUTP_CHARGE", sa.Column("RCPT_NO", sa.BigInteger, index=True), sa.Column("PATIENT_ID", S(20), index=True),
    sa.Column("VISIT_NO", S(20)), sa.Column("ITEM_CLASS", S(2)), sa.Column("ITEM_CODE", S(20)),
    sa.Column("AMOUNT", Money), sa.Column("PRICE", Money), sa.Column("COSTS", Money),
    sa.Column("INSUR_CLASS", S(2)), sa.Column("CHARGE_DATE", Stamp), sa.Column("OPERATOR_NO", S(10)),
    sa.Column("PAY_WAY", S(8)))
OUTP_PRESC = _sequenced(
    "OUTP_PRESC", sa.Column("PRESC_NO", S(20)), sa.Column("VISIT_NO", S(20)),
    sa.Column("PATIENT_ID", S(20), index=True), sa.Column("DOCTOR", S(10)), sa.Column("DRUG_CODE", S(20)),
    sa.Column("AMOUNT", Money), sa.Column("DOSAGE", S(40)), sa.Column("PRESC_DATE", Stamp))
OUTP_DISPENSE = _sequenced(
    "OUTP_DISPENSE", sa.Column("PRESC_NO", S(20)), sa.Column("STORAGE", S(8)), sa.Column("DRUG_CODE", S(20)),
    sa.Column("BATCH_NO", S(20)), sa.Column("AMOUNT", Money), sa.Column("DISPENSE_DATE", Stamp),
    sa.Column("OPERATOR_NO", S(10)))

# -- the hospital ----------------------------------------------------------------------------

INSURANCE = [("01", "城镇职工基本医疗保险", "0"), ("02", "城乡居民基本医疗保险", "0"), ("03", "异地就医医保", "0"),
             ("04", "离休干部医疗", "0"), ("05", "公费医疗", "0"), ("09", "自费", "1")]
INSURANCE_WEIGHTS = [36, 30, 4, 1, 2, 27]
CLINICS = ["心血管内科", "呼吸内科", "消化内科", "神经内科", "内分泌科", "肾内科", "普通外科", "骨科", "泌尿外科",
           "神经外科", "胸外科", "妇科", "产科", "儿科", "眼科", "耳鼻咽喉科", "口腔科", "皮肤科", "中医科", "急诊科",
           "感染科", "康复医学科"]
# (name, kind as in DEPT_DICT.CLINIC_ATTR, staff job, staff count)
SERVICES = [("检验科", "医技", "技师", 6), ("放射科", "医技", "技师", 5), ("超声科", "医技", "技师", 4),
            ("门诊西药房", "药房", "药师", 6), ("门诊中药房", "药房", "药师", 3), ("急诊药房", "药房", "药师", 3),
            ("门诊收费处", "行政", "收费员", 16), ("挂号室", "行政", "挂号员", 8)]
DOCTOR_TITLES = [("主任医师", Decimal("50")), ("副主任医师", Decimal("30")), ("主治医师", Decimal("20")),
                 ("住院医师", Decimal("10"))]
# (generic name, form, unit, specs with price, insurance class)
DRUGS = [
    ("阿莫西林胶囊", "胶囊剂", "盒", [("0.25g×24粒", "9.80"), ("0.5g×20粒", "15.60")], "甲"),
    ("头孢克肟分散片", "片剂", "盒", [("0.1g×6片", "22.50")], "乙"), ("左氧氟沙星片", "片剂", "盒", [("0.5g×4片", "18.90")], "乙"),
    ("阿奇霉素片", "片剂", "盒", [("0.25g×6片", "16.80")], "甲"), ("布洛芬缓释胶囊", "胶囊剂", "盒", [("0.3g×20粒", "12.40")], "甲"),
    ("对乙酰氨基酚片", "片剂", "盒", [("0.5g×12片", "4.50")], "甲"), ("硝苯地平控释片", "片剂", "盒", [("30mg×7片", "33.60")], "甲"),
    ("苯磺酸氨氯地平片", "片剂", "盒", [("5mg×7片", "7.20"), ("5mg×28片", "26.80")], "甲"),
    ("缬沙坦胶囊", "胶囊剂", "盒", [("80mg×7粒", "19.70")], "乙"), ("阿托伐他汀钙片", "片剂", "盒", [("20mg×7片", "27.40")], "乙"),
    ("阿司匹林肠溶片", "片剂", "盒", [("100mg×30片", "15.80")], "甲"), ("氯吡格雷片", "片剂", "盒", [("75mg×7片", "21.00")], "乙"),
    ("二甲双胍缓释片", "片剂", "盒", [("0.5g×30片", "11.50")], "甲"), ("格列美脲片", "片剂", "盒", [("2mg×30片", "24.30")], "乙"),
    ("门冬胰岛素注射液", "注射剂", "支", [("3ml:300单位", "68.90")], "乙"), ("奥美拉唑肠溶胶囊", "胶囊剂", "盒", [("20mg×14粒", "13.20")], "甲"),
    ("铝碳酸镁咀嚼片", "片剂", "盒", [("0.5g×20片", "23.10")], "乙"), ("蒙脱石散", "散剂", "盒", [("3g×10袋", "14.70")], "甲"),
    ("氨溴索口服溶液", "口服溶液剂", "瓶", [("100ml:0.6g", "26.50")], "乙"), ("孟鲁司特钠片", "片剂", "盒", [("10mg×5片", "28.30")], "乙"),
    ("沙丁胺醇气雾剂", "气雾剂", "支", [("100μg×200揿", "25.90")], "甲"), ("氯雷他定片", "片剂", "盒", [("10mg×6片", "16.40")], "乙"),
    ("0.9%氯化钠注射液", "注射剂", "袋", [("250ml:2.25g", "4.20"), ("100ml:0.9g", "3.10")], "甲"),
    ("5%葡萄糖注射液", "注射剂", "袋", [("250ml:12.5g", "4.60")], "甲"), ("头孢曲松钠注射剂", "注射剂", "支", [("1.0g", "8.90")], "甲"),
    ("地塞米松磷酸钠注射液", "注射剂", "支", [("1ml:5mg", "0.95")], "甲"), ("复方甘草片", "片剂", "瓶", [("100片", "6.30")], "甲"),
    ("连花清瘟胶囊", "胶囊剂", "盒", [("0.35g×24粒", "14.80")], "甲"), ("板蓝根颗粒", "颗粒剂", "袋", [("10g×20袋", "12.00")], "甲"),
    ("藿香正气水", "酊剂", "盒", [("10ml×10支", "11.80")], "甲"), ("复方丹参滴丸", "滴丸剂", "瓶", [("27mg×180丸", "28.60")], "甲"),
    ("六味地黄丸", "丸剂", "瓶", [("200丸", "19.50")], "乙"), ("红霉素软膏", "软膏剂", "支", [("1%×10g", "3.20")], "甲"),
    ("玻璃酸钠滴眼液", "滴眼剂", "支", [("0.1%×5ml", "32.80")], "乙"), ("维生素C片", "片剂", "瓶", [("0.1g×100片", "3.50")], "丙"),
]
FIRMS = ["华北制药", "石药集团", "扬子江药业", "齐鲁制药", "恒瑞医药", "哈药集团", "国药集团", "广州白云山",
         "修正药业", "科伦药业", "华润双鹤", "以岭药业", "同仁堂", "复星医药", "云南白药"]
# (class code in PRICE_LIST.ITEM_CLASS, category) and items: (name, unit, price, insurance class)
PRICE_ITEMS = {
    ("A", "挂号费"): [("普通门诊挂号费", "次", "1.00", "甲"), ("急诊挂号费", "次", "2.00", "甲")],
    ("B", "诊查费"): [("普通门诊诊查费", "次", "10.00", "甲"), ("副主任医师诊查费", "次", "30.00", "乙"),
                    ("主任医师诊查费", "次", "50.00", "乙"), ("急诊诊查费", "次", "15.00", "甲")],
    ("C", "检查费"): [("心电图检查", "次", "25.00", "甲"), ("胸部X线摄影(DR)", "次", "80.00", "甲"),
                    ("头颅CT平扫", "次", "240.00", "乙"), ("腹部彩色多普勒超声", "次", "160.00", "乙"),
                    ("甲状腺彩超", "次", "120.00", "乙"), ("胃镜检查", "次", "280.00", "乙")],
    ("D", "化验费"): [("血常规(五分类)", "次", "20.00", "甲"), ("尿常规", "次", "10.00", "甲"), ("肝功能", "项", "45.00", "甲"),
                    ("肾功能", "项", "30.00", "甲"), ("血糖测定", "次", "6.00", "甲"), ("血脂四项", "项", "40.00", "乙"),
                    ("C反应蛋白", "次", "30.00", "甲"), ("糖化血红蛋白", "次", "60.00", "乙"), ("新型冠状病毒核酸检测", "次", "16.00", "甲")],
    ("E", "治疗费"): [("静脉注射", "次", "5.00", "甲"), ("肌肉注射", "次", "3.00", "甲"), ("静脉输液(首组)", "组", "12.00", "甲"),
                    ("大换药", "次", "30.00", "甲"), ("清创缝合(小)", "次", "80.00", "甲"), ("雾化吸入", "次", "12.00", "甲"),
                    ("针灸", "次", "25.00", "乙"), ("推拿", "次", "40.00", "丙")],
    ("F", "材料费"): [("一次性注射器", "支", "0.50", "甲"), ("一次性输液器", "套", "2.80", "甲"), ("医用纱布块", "块", "0.60", "甲"),
                    ("医用外科口罩", "个", "1.00", "丙"), ("弹力绷带", "卷", "9.50", "乙")],
}
CATEGORY = {code: name for code, name in PRICE_ITEMS}
PHARMACIES = [name for name, kind, *_ in SERVICES if kind == "药房"]
SCHEDULE_DAYS = 14
PAY_WAYS = {"现金": "cash", "银行卡": "bank_card", "微信": "wechat", "支付宝": "alipay"}  # OUTP_CHARGE.PAY_WAY
DOSAGES = ["口服 一日三次 一次一片", "口服 一日两次 一次一粒", "口服 一日一次 一次一片", "静脉滴注 一日一次", "外用 一日两次"]


class Pools:
    """Name parts, area codes and phone prefixes, drawn once; combined with `rng` per row."""

    def __init__(self, seed: int):
        faker = Faker("zh_CN")
        faker.seed_instance(seed)
        self.rng = random.Random(seed)
        self.surnames = [faker.last_name() for _ in range(3000)]  # keeps Faker's frequencies
        self.given = {"男": [faker.first_name_male() for _ in range(800)],
                      "女": [faker.first_name_female() for _ in range(800)]}
        self.areas = [code for code in SsnProvider.area_codes if len(code) == 6 and not code.endswith("00")]
        self.phone_prefixes = [str(p) for p in PhoneProvider.phonenumber_prefixes]

    def name(self, sex: str) -> str:
        rng, given = self.rng, self.given[sex]
        first = rng.choice(given)
        return rng.choice(self.surnames) + (first + rng.choice(given)[0] if len(first) == 1 and rng.random() < .6
                                            else first)


def id_card_no(area: str, birth: datetime.date, male: bool, serial: int) -> str:
    """A resident ID number: area, birth date, a serial whose last digit is odd for men, check digit."""
    order = serial * 2 + (1 if male else 0)
    first17 = f"{area}{birth:%Y%m%d}{order % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def patient_rows(pools: Pools, first: int, count: int, now: datetime.datetime):
    """PAT_MASTER_INDEX rows (tuples in column order) for card numbers first … first+count-1."""
    rng = pools.rng
    today = now.date()
    types = [code for code, *_ in INSURANCE]
    for number in range(first, first + count):
        sex = "男" if rng.random() < .5 else "女"
        birth = today - datetime.timedelta(days=rng.randrange(30, 95 * 366))
        id_no = id_card_no(rng.choice(pools.areas), birth, sex == "男", rng.randrange(500)) \
            if rng.random() < .95 else None
        phone = rng.choice(pools.phone_prefixes) + f"{rng.randrange(10 ** 8):08d}" if rng.random() < .9 else None
        charge_type = rng.choices(types, INSURANCE_WEIGHTS)[0]
        insurance_no = None if charge_type == "09" else (id_no or f"{rng.randrange(10 ** 15):015d}")
        created = now - datetime.timedelta(seconds=rng.randrange(5 * 365 * 86400))
        modified = created + datetime.timedelta(seconds=rng.randrange(int((now - created).total_seconds()) + 1))
        yield (f"{number:010d}", pools.name(sex), sex, birth, id_no, phone, charge_type, insurance_no,
               created, None, modified)


def base_rows(pools: Pools, now: datetime.datetime) -> dict[sa.Table, list[tuple]]:
    """Every dictionary table but patients, in column order (LAST_MODIFY_DATE last)."""
    rng, today = pools.rng, now.date()
    rows = {INSURANCE_DICT: [(*item, now) for item in INSURANCE]}
    departments, staff, schedules = [], [], []
    doctors: dict[str, list[tuple]] = {}

    def hire(dept, job, title=None):
        code = f"{len(staff) + 1:05d}"
        staff.append((code, pools.name(rng.choice("男女")), dept, job, title, now))
        return code

    for i, name in enumerate(CLINICS, 1):
        code = f"1{i:03d}"
        departments.append((code, name, "临床", "1", f"门诊楼{(i - 1) // 6 + 1}层", now))
        doctors[code] = [(hire(code, "医生", title), fee) for title, fee in DOCTOR_TITLES for _ in range(2)]
        for _ in range(3):
            hire(code, "护士", rng.choice(["主管护师", "护师", "护士"]))
    for i, (name, kind, job, count) in enumerate(SERVICES, 1):
        code = f"2{i:03d}"
        departments.append((code, name, kind, "1", "门诊楼1层", now))
        for _ in range(count):
            hire(code, job)
    for day in range(SCHEDULE_DAYS):
        date = today + datetime.timedelta(days=day)
        for code, team in doctors.items():
            for session in ("上午", "下午"):
                schedules.append((len(schedules) + 1, date, session, code, None, "普通", Decimal("10"), 60, now))
                doctor, fee = rng.choice(team[:6])  # the specialists
                schedules.append((len(schedules) + 1, date, session, code, doctor, "专家", fee, 20, now))
    rows[DEPT_DICT], rows[STAFF_DICT], rows[CLINIC_SCHEDULE] = departments, staff, schedules

    drugs = []
    for name, form, unit, specs, insur in DRUGS:
        for firm in rng.sample(FIRMS, 3):
            for spec, price in specs:
                price = Decimal(price) * Decimal(rng.randrange(85, 116)) / 100
                drugs.append((f"Y{len(drugs) + 1:06d}", name, spec, form, unit, firm, price.quantize(Decimal("0.01")),
                              insur, now))
    rows[DRUG_DICT] = drugs
    pharmacy_codes = [d[0] for d in departments if d[2] == "药房"]
    rows[DRUG_STOCK] = [(store, drug[0], f"{rng.randrange(20230101, 20251231)}{batch}",
                         Decimal(rng.randrange(0, 2000)), today + datetime.timedelta(days=rng.randrange(60, 900)), now)
                        for store in pharmacy_codes for drug in drugs for batch in "AB"[:rng.randrange(1, 3)]]
    rows[PRICE_LIST] = [(f"{cls}{i:04d}", name, cls, unit, Decimal(price), insur, today - datetime.timedelta(days=400),
                         None, now)
                        for (cls, _category), items in PRICE_ITEMS.items() for i, (name, unit, price, insur)
                        in enumerate(items, 1)]
    cashiers = [s[0] for s in staff if s[3] in ("收费员", "挂号员")]
    rows[BILL_RANGE] = [(i, cashier, 10_000_000 + i * 100_000, 10_000_000 + i * 100_000 + 99_999,
                         10_000_000 + i * 100_000 + rng.randrange(100, 5000), "1", now)
                        for i, cashier in enumerate(cashiers, 1)]
    return rows


def visit_rows(pools: Pools, patients: int, base: dict, now: datetime.datetime) -> dict[sa.Table, list[tuple]]:
    """Yesterday's outpatient work: registrations with a charge, a prescription and its dispensing.
    Ids are left out so the sequences number them."""
    rng = pools.rng
    schedules = base[CLINIC_SCHEDULE]
    drugs = base[DRUG_DICT]
    cashiers = [s[0] for s in base[STAFF_DICT] if s[3] == "收费员"]
    pharmacy = next(d[0] for d in base[DEPT_DICT] if d[2] == "药房")
    out = {OUTP_REGISTER: [], OUTP_CHARGE: [], OUTP_PRESC: [], OUTP_DISPENSE: []}
    day = (now - datetime.timedelta(days=1)).replace(hour=8, minute=0, second=0)
    for n in range(1, max(1, patients // 100) + 1):
        card = f"{rng.randrange(1, patients + 1):010d}"
        _no, _date, _session, dept, doctor, _label, fee, *_ = rng.choice(schedules)
        doctor = doctor or rng.choice([s[0] for s in base[STAFF_DICT] if s[2] == dept and s[3] == "医生"])
        visit, when, cashier = f"V{day:%Y%m%d}{n:06d}", day + datetime.timedelta(seconds=rng.randrange(8 * 3600)), \
            rng.choice(cashiers)
        drug = rng.choice(drugs)
        amount = Decimal(rng.randrange(1, 4))
        presc = f"P{day:%Y%m%d}{n:06d}"
        out[OUTP_REGISTER].append((visit, card, None, dept, doctor, fee, when, cashier, None, now))
        out[OUTP_CHARGE].append((9_000_000 + n, card, visit, "Y", drug[0], amount, drug[6], drug[6] * amount,
                                 drug[7], when, cashier, rng.choice(list(PAY_WAYS)), None, now))
        out[OUTP_PRESC].append((presc, visit, card, doctor, drug[0], amount, rng.choice(DOSAGES), when, None, now))
        out[OUTP_DISPENSE].append((presc, pharmacy, drug[0], None, amount, when, cashier, None, now))
    return out


def _columns(table: sa.Table) -> list[str]:
    """Columns the generator fills: all but a sequence-numbered id."""
    return [c.name for c in table.columns if not (c.primary_key and isinstance(c.default, sa.Sequence))]


def copy_text(rows) -> str:
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if v is None else str(v) for v in row))
        out.write("\n")
    return out.getvalue()


def insert_rows(connection: sa.Connection, table: sa.Table, rows):
    """Bulk-load rows (tuples in `_columns` order): COPY on PostgreSQL, batched executemany elsewhere."""
    columns = _columns(table)
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        sql = f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for batch in _batches(rows):
                copy.write(copy_text(batch))
        return
    for batch in _batches(rows):
        connection.execute(table.insert(), [dict(zip(columns, row)) for row in batch])


def _batches(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def connect(url: str) -> sa.Engine:
    """The demo HIS's engine; a URL that names no driver gets the one Lifeline installs."""
    return sa.create_engine(databases.with_driver(sa.engine.make_url(url)))


def his_now(engine: sa.Engine) -> datetime.datetime:
    """The demo HIS's own clock (its local time, as its timestamp columns hold it): a HIS stamps
    rows with the database server's time, whatever zone the process writing them runs in."""
    sql = {"postgresql": "SELECT LOCALTIMESTAMP", "mysql": "SELECT NOW(6)", "mariadb": "SELECT NOW(6)",
           "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime')"}.get(engine.dialect.name)
    if sql is None:
        return datetime.datetime.now()
    with engine.connect() as connection:
        value = connection.exec_driver_sql(sql).scalar_one()
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)


def build(url: str, patients: int, seed: int = 1, now: datetime.datetime | None = None) -> dict[str, int]:
    """Create (or re-create) the demo HIS at `url` with `patients` patients; returns rows per table."""
    pools = Pools(seed)
    engine = connect(url)
    try:
        now = now or his_now(engine).replace(microsecond=0)
        if engine.dialect.name == "sqlite":  # readers keep their snapshot while churn writes
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        metadata.drop_all(engine)
        ledger_metadata.drop_all(engine)  # a re-created HIS has had nothing merged into it
        metadata.create_all(engine)
        base = base_rows(pools, now)
        counts = {}
        with engine.begin() as connection:
            insert_rows(connection, PAT_MASTER_INDEX, patient_rows(pools, 1, patients, now))
            counts[PAT_MASTER_INDEX.name] = patients
            for table, rows in {**base, **visit_rows(pools, patients, base, now)}.items():
                insert_rows(connection, table, rows)
                counts[table.name] = len(rows)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        return counts
    finally:
        engine.dispose()


def churn(url: str, percent: float, seed: int | None = None) -> dict[str, set]:
    """Change `percent` % of the base data as a busy day would: new patients and changed phone
    numbers, drug and item price changes, stock moves, merged patients and used-up batches
    deleted. Every changed row's LAST_MODIFY_DATE is set to now. Returns the canonical keys
    changed, per canonical entity, and under "<entity> deleted" the keys deleted."""
    rng = random.Random(seed)
    pools = Pools(rng.randrange(1 << 30))
    engine = connect(url)
    changed = {}
    try:
        now = his_now(engine)
        with engine.begin() as connection:
            def share(table):
                total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                return total, max(1, round(total * percent / 100))

            total, n = share(PAT_MASTER_INDEX)
            last = int(connection.execute(sa.select(sa.func.max(PAT_MASTER_INDEX.c.PATIENT_ID))).scalar_one())
            new = list(patient_rows(pools, last + 1, (n + 1) // 2, now))
            insert_rows(connection, PAT_MASTER_INDEX, [row[:-1] + (now,) for row in new])
            moved = [f"{number:010d}" for number in rng.sample(range(1, last + 1), min(n // 2, last))]
            _update(connection, PAT_MASTER_INDEX, "PATIENT_ID", moved, now, PHONE_NUMBER=lambda key: (
                rng.choice(pools.phone_prefixes) + f"{rng.randrange(10 ** 8):08d}"))
            changed["patient"] = {row[0] for row in new} | set(moved)

            for table, key, column, entity in ((DRUG_DICT, "DRUG_CODE", "RETAIL_PRICE", "drug"),
                                               (PRICE_LIST, "ITEM_CODE", "PRICE", "price_item")):
                keys = _sample(connection, table, key, share(table)[1], rng)
                prices = dict(connection.execute(sa.select(table.c[key], table.c[column])
                                                 .where(table.c[key].in_(keys))).all())
                _update(connection, table, key, keys, now, **{column: lambda k, prices=prices: (
                    Decimal(prices[k]) * Decimal(rng.randrange(90, 111)) / 100).quantize(Decimal("0.01"))})
                changed[entity] = set(keys)

            stock = connection.execute(sa.select(DRUG_STOCK.c.STORAGE, DRUG_STOCK.c.DRUG_CODE,
                                                 DRUG_STOCK.c.BATCH_NO)).all()
            moves = rng.sample(stock, share(DRUG_STOCK)[1])
            connection.execute(
                DRUG_STOCK.update().where(DRUG_STOCK.c.STORAGE == sa.bindparam("s"),
                                          DRUG_STOCK.c.DRUG_CODE == sa.bindparam("d"),
                                          DRUG_STOCK.c.BATCH_NO == sa.bindparam("b"))
                .values(QUANTITY=sa.bindparam("q"), LAST_MODIFY_DATE=now),
                [{"s": s, "d": d, "b": b, "q": Decimal(rng.randrange(0, 2000))} for s, d, b in moves])
            changed["drug_stock"] = {f"{s}/{d}/{b}" for s, d, b in moves}

            # Merged duplicate patients and used-up batches leave the HIS ("<entity> deleted": their keys).
            candidates = [f"{number:010d}" for number in rng.sample(range(1, last + 1), min(n // 10, last))]
            merged = sorted(set(connection.execute(sa.select(PAT_MASTER_INDEX.c.PATIENT_ID).where(
                PAT_MASTER_INDEX.c.PATIENT_ID.in_(candidates))).scalars()) - set(moved))
            connection.execute(PAT_MASTER_INDEX.delete().where(PAT_MASTER_INDEX.c.PATIENT_ID.in_(merged)))
            used_up = [s for s in rng.sample(stock, max(1, len(moves) // 5)) if s not in moves]
            connection.execute(DRUG_STOCK.delete().where(
                DRUG_STOCK.c.STORAGE == sa.bindparam("s"), DRUG_STOCK.c.DRUG_CODE == sa.bindparam("d"),
                DRUG_STOCK.c.BATCH_NO == sa.bindparam("b")), [{"s": s, "d": d, "b": b} for s, d, b in used_up])
            changed["patient deleted"] = set(merged)
            changed["drug_stock deleted"] = {f"{s}/{d}/{b}" for s, d, b in used_up}
        return changed
    finally:
        engine.dispose()


def _sample(connection, table, key, n, rng) -> list:
    keys = connection.execute(sa.select(table.c[key]).order_by(table.c[key])).scalars().all()
    return rng.sample(keys, min(n, len(keys)))


def _update(connection, table, key, keys, now, **new_values):
    """UPDATE each row of `keys`: column = function(key) for each of `new_values`."""
    if not keys:
        return
    stmt = table.update().where(table.c[key] == sa.bindparam("_key")) \
        .values(LAST_MODIFY_DATE=now, **{c: sa.bindparam(f"_{c}") for c in new_values})
    connection.execute(stmt, [{"_key": k, **{f"_{c}": f(k) for c, f in new_values.items()}} for k in keys])


# -- the mapping file ---------------------------------------------------------------------------

QUERIES = {
    "patient": (["card_no"], """
        SELECT {PATIENT_ID} AS card_no, {NAME} AS name,
               CASE {SEX} WHEN '男' THEN '1' WHEN '女' THEN '2' ELSE '0' END AS sex,
               {DATE_OF_BIRTH} AS birth_date, {ID_NO} AS id_card_no, {PHONE_NUMBER} AS phone,
               {CHARGE_TYPE} AS insurance_type, {INSURANCE_NO} AS insurance_no,
               {LAST_MODIFY_DATE} AS his_modified
        FROM {PAT_MASTER_INDEX}"""),
    "department": (["code"], """
        SELECT {DEPT_CODE} AS code, {DEPT_NAME} AS name,
               CASE {CLINIC_ATTR} WHEN '临床' THEN 'clinical' WHEN '医技' THEN 'medtech'
                    WHEN '药房' THEN 'pharmacy' ELSE 'admin' END AS kind,
               {OUTP_FLAG} AS outpatient, {POSITION} AS location, {LAST_MODIFY_DATE} AS his_modified
        FROM {DEPT_DICT}"""),
    "staff": (["code"], """
        SELECT {EMP_NO} AS code, {NAME} AS name, {DEPT_CODE} AS department_code,
               CASE {JOB} WHEN '医生' THEN 'doctor' WHEN '护士' THEN 'nurse' WHEN '药师' THEN 'pharmacist'
                    WHEN '收费员' THEN 'cashier' WHEN '挂号员' THEN 'registrar' WHEN '技师' THEN 'technician'
                    ELSE 'other' END AS role,
               {TITLE} AS title, {LAST_MODIFY_DATE} AS his_modified
        FROM {STAFF_DICT}"""),
    "clinic_schedule": (["schedule_id"], """
        SELECT {SCHEDULE_NO} AS schedule_id, {CLINIC_DATE} AS clinic_date,
               CASE {TIME_DESC} WHEN '上午' THEN 'AM' WHEN '下午' THEN 'PM' ELSE 'EVE' END AS session,
               {DEPT_CODE} AS department_code, {DOCTOR} AS doctor_code, {CLINIC_LABEL} AS clinic_type,
               {REGIST_FEE} AS fee, {REGIST_LIMIT} AS quota, {LAST_MODIFY_DATE} AS his_modified
        FROM {CLINIC_SCHEDULE}"""),
    "drug": (["code"], """
        SELECT {DRUG_CODE} AS code, {DRUG_NAME} AS name, {DRUG_SPEC} AS spec, {DRUG_FORM} AS form,
               {UNITS} AS unit, {FIRM_ID} AS manufacturer, {RETAIL_PRICE} AS price,
               {INSUR_CLASS} AS insurance_category, {LAST_MODIFY_DATE} AS his_modified
        FROM {DRUG_DICT}"""),
    "drug_stock": (["pharmacy_code", "drug_code", "batch_no"], """
        SELECT {STORAGE} AS pharmacy_code, {DRUG_CODE} AS drug_code, {BATCH_NO} AS batch_no,
               {QUANTITY} AS quantity, {EXPIRE_DATE} AS expiry_date, {LAST_MODIFY_DATE} AS his_modified
        FROM {DRUG_STOCK}"""),
    "price_item": (["code"], """
        SELECT {ITEM_CODE} AS code, {ITEM_NAME} AS name,
               CASE {ITEM_CLASS} {CATEGORIES} END AS category,
               {UNITS} AS unit, {PRICE} AS price, {INSUR_CLASS} AS insurance_category,
               {LAST_MODIFY_DATE} AS his_modified
        FROM {PRICE_LIST}
        WHERE {STOP_DATE} IS NULL"""),
    "insurance_type": (["code"], """
        SELECT {INSUR_CODE} AS code, {INSUR_NAME} AS name,
               CASE {SELF_PAY_FLAG} WHEN '1' THEN 0 ELSE 1 END AS insured, {LAST_MODIFY_DATE} AS his_modified
        FROM {INSURANCE_DICT}"""),
    "invoice_range": (["range_id"], """
        SELECT {RANGE_ID} AS range_id, {OPERATOR_NO} AS cashier_code, {START_NO} AS first_no,
               {END_NO} AS last_no, {CURRENT_NO} AS next_no, {LAST_MODIFY_DATE} AS his_modified
        FROM {BILL_RANGE}
        WHERE {USE_FLAG} = '1'"""),
}

MERGE_BACK = {
    "new_patient": """
        INSERT INTO {PAT_MASTER_INDEX} ({PATIENT_ID}, {NAME}, {SEX}, {DATE_OF_BIRTH}, {ID_NO}, {PHONE_NUMBER},
               {CHARGE_TYPE}, {INSURANCE_NO}, {CREATE_DATE}, {EMERGENCY_EVENT_ID}, {LAST_MODIFY_DATE})
        VALUES (:card_no, :name, CASE :sex WHEN '1' THEN '男' WHEN '2' THEN '女' ELSE '未知' END, :birth_date,
               :id_card_no, :phone, :insurance_type, :insurance_no, :recorded_at, :event_id, :recorded_at)""",
    "registration": """
        INSERT INTO {OUTP_REGISTER} ({VISIT_NO}, {PATIENT_ID}, {SCHEDULE_NO}, {DEPT_CODE}, {DOCTOR}, {REGIST_FEE},
               {REGIST_DATE}, {OPERATOR_NO}, {EMERGENCY_EVENT_ID}, {LAST_MODIFY_DATE})
        VALUES (:visit_no, :card_no, :schedule_id, :department_code, :doctor_code, :fee, :recorded_at,
               :operator_code, :event_id, :recorded_at)""",
    "charge": """
        INSERT INTO {OUTP_CHARGE} ({RCPT_NO}, {PATIENT_ID}, {VISIT_NO}, {ITEM_CLASS}, {ITEM_CODE}, {AMOUNT}, {PRICE},
               {COSTS}, {INSUR_CLASS}, {CHARGE_DATE}, {OPERATOR_NO}, {PAY_WAY}, {EMERGENCY_EVENT_ID},
               {LAST_MODIFY_DATE})
        VALUES (:invoice_no, :card_no, :visit_no, CASE :item_kind WHEN 'drug' THEN 'Y' ELSE 'Z' END, :item_code,
               :quantity, :unit_price, :amount, :insurance_category, :recorded_at, :operator_code,
               CASE :payment_method {PAY_WAY_IN} END, :event_id, :recorded_at)""",
    "prescription": """
        INSERT INTO {OUTP_PRESC} ({PRESC_NO}, {VISIT_NO}, {PATIENT_ID}, {DOCTOR}, {DRUG_CODE}, {AMOUNT}, {DOSAGE},
               {PRESC_DATE}, {EMERGENCY_EVENT_ID}, {LAST_MODIFY_DATE})
        VALUES (:presc_no, :visit_no, :card_no, :doctor_code, :drug_code, :quantity, :dosage, :recorded_at,
               :event_id, :recorded_at)""",
    "dispensing": """
        INSERT INTO {OUTP_DISPENSE} ({PRESC_NO}, {STORAGE}, {DRUG_CODE}, {BATCH_NO}, {AMOUNT}, {DISPENSE_DATE},
               {OPERATOR_NO}, {EMERGENCY_EVENT_ID}, {LAST_MODIFY_DATE})
        VALUES (:presc_no, :pharmacy_code, :drug_code, :batch_no, :quantity, :recorded_at, :operator_code,
               :event_id, :recorded_at)""",
}

# The HIS's current number of each kind a workstation issues (mapping `sequences`): its visits,
# prescriptions and cards are numbered by sequences (row ids), its receipts by RCPT_NO; patient
# ids are zero-padded text, which MAX orders as numbers.
SEQUENCES = {
    "visit": "SELECT MAX({REGISTER_ID}) FROM {OUTP_REGISTER}",
    "charge": "SELECT MAX({RCPT_NO}) FROM {OUTP_CHARGE}",
    "prescription": "SELECT MAX({PRESC_ID}) FROM {OUTP_PRESC}",
    "card": "SELECT MAX({PATIENT_ID}) FROM {PAT_MASTER_INDEX}",
}

# The questions merge-back asks (mapping `merge_back_lookups`, canonical.LOOKUPS). The HIS's own
# rows are those without an emergency event id.
LOOKUPS = {
    "patient_by_id_card": """
        SELECT {PATIENT_ID} AS card_no, {NAME} AS name, {DATE_OF_BIRTH} AS birth_date
        FROM {PAT_MASTER_INDEX} WHERE {ID_NO} = :id_card_no""",
    "patient_by_name_birth": """
        SELECT {PATIENT_ID} AS card_no, {NAME} AS name, {DATE_OF_BIRTH} AS birth_date
        FROM {PAT_MASTER_INDEX} WHERE {NAME} = :name AND {DATE_OF_BIRTH} = :birth_date""",
    "invoice_used": """
        SELECT {RCPT_NO} AS invoice_no, {PATIENT_ID} AS card_no, {OPERATOR_NO} AS cashier_code,
               {CHARGE_DATE} AS charged_at
        FROM {OUTP_CHARGE} WHERE {RCPT_NO} = :invoice_no AND {EMERGENCY_EVENT_ID} IS NULL""",
    "price": """
        SELECT {RETAIL_PRICE} AS unit_price FROM {DRUG_DICT} WHERE :item_kind = 'drug' AND {DRUG_CODE} = :item_code
        UNION ALL
        SELECT {PRICE} AS unit_price FROM {PRICE_LIST}
        WHERE :item_kind = 'price_item' AND {ITEM_CODE} = :item_code AND {STOP_DATE} IS NULL""",
    "stock": """
        SELECT SUM({QUANTITY}) AS quantity FROM {DRUG_STOCK}
        WHERE {STORAGE} = :pharmacy_code AND {DRUG_CODE} = :drug_code GROUP BY {STORAGE}, {DRUG_CODE}""",
    "cashier_takings": """
        SELECT {OPERATOR_NO} AS cashier_code, CASE {PAY_WAY} {PAY_WAY_OUT} END AS payment_method,
               SUM({COSTS}) AS amount
        FROM {OUTP_CHARGE}
        WHERE {CHARGE_DATE} >= :start AND {CHARGE_DATE} < :end AND {EMERGENCY_EVENT_ID} IS NULL
        GROUP BY {OPERATOR_NO}, {PAY_WAY}""",
}


class QuotedNames(dict):
    """{NAME} -> NAME as this database needs it: quoted on PostgreSQL, which folds bare names to
    lower case; bare elsewhere (on SQLite a quoted name that is no column silently becomes a string)."""

    def __init__(self, dialect):
        super().__init__(CATEGORIES=" ".join(f"WHEN '{code}' THEN '{name}'" for code, name in CATEGORY.items())
                         + " ELSE '其他'",
                         PAY_WAY_IN=" ".join(f"WHEN '{code}' THEN '{way}'" for way, code in PAY_WAYS.items()),
                         PAY_WAY_OUT=" ".join(f"WHEN '{way}' THEN '{code}'" for way, code in PAY_WAYS.items()))
        self.quoted = dialect.name == "postgresql"

    def __missing__(self, name):
        return f'"{name}"' if self.quoted else name


def mapping_text(url: str, password_env: str | None = None) -> str:
    """The mapping file for the demo HIS at `url`; its password, if any, is left out (name
    the environment variable that will hold it as `password_env`)."""
    address = databases.canonical_url(sa.engine.make_url(url))._replace(password=None)  # set(password=None) keeps it
    quoted = QuotedNames(address.get_dialect()())
    lines = [
        "# HIS mapping for the Lifeline demo HIS (written by `lifeline his demo`).",
        "# Each query's columns are the canonical fields (docs/canonical-model.md);",
        "# his_modified is the watermark for incremental reads.",
        "version: 1",
        "his: Lifeline demo HIS (vendor-like outpatient schema)",
        "connection:",
        f"  url: {address.render_as_string(hide_password=False)}",
    ]
    if password_env:
        lines.append(f"  password_env: {password_env}")
    lines += ["  connect_timeout: 10", "  query_timeout: 600", "entities:"]
    for entity, (key, query) in QUERIES.items():
        lines += [f"  {entity}:", f"    key: [{', '.join(key)}]", "    watermark: his_modified", "    query: |"]
        lines += ["      " + line for line in _dedent(query.format_map(quoted))]
    lines.append("sequences:")
    for kind, query in SEQUENCES.items():
        lines += [f"  {kind}:", f"    query: {query.format_map(quoted)}", "    returns: highest"]
    lines.append("merge_back:")
    for record, statement in MERGE_BACK.items():
        lines += [f"  {record}:", "    statements:", "      - |"]
        lines += ["        " + line for line in _dedent(statement.format_map(quoted))]
    lines.append("merge_back_lookups:")
    for name, query in LOOKUPS.items():
        lines += [f"  {name}:", "    query: |"]
        lines += ["      " + line for line in _dedent(query.format_map(quoted))]
    return "\n".join(lines) + "\n"


def _dedent(text: str) -> list[str]:
    return textwrap.dedent(text).strip().splitlines()
