"""A normalised HIS of the tests' own making (issue 14), unlike the demo's one-table-per-entity
upper-case schema: the patient is spread over `person`, `person_name`, `identifier` and
`person_attribute`; a charge item's current price is its latest dated row in `service_price`;
rows are voided (voided = 1) rather than deleted; every table has its own `date_changed`. It has
no invoice ranges. Loaded on PostgreSQL or MariaDB (and SQLite), stamped with the database's
own clock.

    counts = normalised_his.build(url, patients=500)
    path.write_text(normalised_his.mapping_text(url))
    normalised_his.execute(url, "UPDATE person_attribute SET voided = 1, date_changed = {NOW} WHERE ...")
"""
import datetime
import random
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from lifeline.his.canonical import id_card_check_digit
from lifeline.his.demo_his import his_now

Stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
metadata = sa.MetaData()


def _table(name, *columns):
    return sa.Table(name, metadata, *columns, sa.Column("voided", sa.SmallInteger, nullable=False, default=0),
                    sa.Column("date_changed", Stamp, nullable=False), mysql_charset="utf8mb4",
                    mariadb_charset="utf8mb4")


person = _table("person", sa.Column("person_id", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column("gender", sa.String(1)), sa.Column("birthdate", sa.Date),
                sa.Column("emergency_event_id", sa.String(40), unique=True))  # merge-back's mark (docs/his-mapping.md)
person_name = _table("person_name", sa.Column("person_name_id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("person_id", sa.Integer, index=True), sa.Column("family_name", sa.String(30)),
                     sa.Column("given_name", sa.String(90)), sa.Column("preferred", sa.SmallInteger))
identifier = _table("identifier", sa.Column("identifier_id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("person_id", sa.Integer, index=True), sa.Column("identifier_type", sa.String(20)),
                    sa.Column("identifier", sa.String(40)))
person_attribute = _table("person_attribute",
                          sa.Column("attribute_id", sa.Integer, primary_key=True, autoincrement=False),
                          sa.Column("person_id", sa.Integer, index=True), sa.Column("attribute_type", sa.String(20)),
                          sa.Column("value", sa.String(60)))
location = _table("location", sa.Column("code", sa.String(20), primary_key=True), sa.Column("name", sa.String(60)),
                  sa.Column("kind", sa.String(20)), sa.Column("outpatient", sa.SmallInteger),
                  sa.Column("building", sa.String(60)))
provider = _table("provider", sa.Column("code", sa.String(20), primary_key=True), sa.Column("name", sa.String(60)),
                  sa.Column("location_code", sa.String(20)), sa.Column("role", sa.String(20)),
                  sa.Column("title", sa.String(30)))
schedule = _table("schedule", sa.Column("schedule_id", sa.Integer, primary_key=True, autoincrement=False),
                  sa.Column("clinic_date", sa.Date), sa.Column("session", sa.String(3)),
                  sa.Column("location_code", sa.String(20)), sa.Column("provider_code", sa.String(20)),
                  sa.Column("clinic_type", sa.String(20)), sa.Column("fee", sa.Numeric(10, 2)),
                  sa.Column("quota", sa.Integer))
drug = _table("drug", sa.Column("code", sa.String(20), primary_key=True), sa.Column("name", sa.String(100)),
              sa.Column("strength", sa.String(60)), sa.Column("form", sa.String(20)), sa.Column("unit", sa.String(10)),
              sa.Column("manufacturer", sa.String(60)), sa.Column("price", sa.Numeric(12, 4)),
              sa.Column("insurance_class", sa.String(1)))
stock = _table("stock", sa.Column("stock_id", sa.Integer, primary_key=True, autoincrement=False),
               sa.Column("pharmacy_code", sa.String(20)), sa.Column("drug_code", sa.String(20)),
               sa.Column("batch_no", sa.String(20)), sa.Column("quantity", sa.Numeric(12, 2)),
               sa.Column("expiry", sa.Date))
service = _table("service", sa.Column("code", sa.String(20), primary_key=True), sa.Column("name", sa.String(100)),
                 sa.Column("category", sa.String(20)), sa.Column("unit", sa.String(10)),
                 sa.Column("insurance_class", sa.String(1)))
service_price = _table("service_price", sa.Column("price_id", sa.Integer, primary_key=True, autoincrement=False),
                       sa.Column("service_code", sa.String(20), index=True), sa.Column("price", sa.Numeric(12, 2)),
                       sa.Column("effective_from", sa.Date))
insurance_plan = _table("insurance_plan", sa.Column("code", sa.String(10), primary_key=True),
                        sa.Column("name", sa.String(60)), sa.Column("self_pay", sa.SmallInteger))

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
SERVICES = 120
DRUGS = 80


def card_no(person_id: int) -> str:
    return f"P{person_id:08d}"


def id_card(rng: random.Random, birth: datetime.date, gender: str) -> str:
    first = f"{rng.choice(['110105', '310104', '440106', '510107'])}{birth:%Y%m%d}{rng.randrange(10, 99)}" \
            f"{rng.choice('13579' if gender == 'M' else '02468')}"
    return first + id_card_check_digit(first)


def build(url: str, patients: int, seed: int = 1) -> dict[str, int]:
    """Create (or re-create) the HIS at `url`; returns rows per table."""
    rng = random.Random(seed)
    engine = sa.create_engine(url)
    try:
        now = his_now(engine).replace(microsecond=0)
        metadata.drop_all(engine)
        metadata.create_all(engine)
        day = now.date()
        rows = {t: [] for t in metadata.sorted_tables}
        for pid in range(1, patients + 1):
            gender = rng.choice("MF")
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30_000))
            stamp = now - datetime.timedelta(days=rng.randrange(1, 400), seconds=rng.randrange(86_400))
            rows[person].append({"person_id": pid, "gender": gender, "birthdate": birth, "voided": 0,
                                 "date_changed": stamp})
            rows[person_name].append({"person_name_id": pid, "person_id": pid, "family_name": rng.choice(FAMILY),
                                      "given_name": rng.choice(GIVEN), "preferred": 1, "voided": 0,
                                      "date_changed": stamp})
            for kind, value in (("CARD", card_no(pid)), ("ID_CARD", id_card(rng, birth, gender)),
                                ("INSURANCE", f"YB{pid:010d}" if pid % 3 else None)):
                if value:
                    rows[identifier].append({"identifier_id": len(rows[identifier]) + 1, "person_id": pid,
                                             "identifier_type": kind, "identifier": value, "voided": 0,
                                             "date_changed": stamp})
            for kind, value in (("PHONE", f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"),
                                ("INSURANCE_TYPE", rng.choice(["01", "02", "09"]))):
                rows[person_attribute].append({"attribute_id": len(rows[person_attribute]) + 1, "person_id": pid,
                                               "attribute_type": kind, "value": value, "voided": 0,
                                               "date_changed": stamp})
        stamp = now - datetime.timedelta(days=30)
        places = [("D01", "内科", "clinical", 1), ("D02", "外科", "clinical", 1), ("D03", "检验科", "medtech", 1),
                  ("D04", "门诊药房", "pharmacy", 1), ("D05", "收费处", "admin", 0)]
        for code, name, kind, outpatient in places:
            rows[location].append({"code": code, "name": name, "kind": kind, "outpatient": outpatient,
                                   "building": "门诊楼", "voided": 0, "date_changed": stamp})
        for i in range(1, 21):
            rows[provider].append({"code": f"E{i:04d}", "name": rng.choice(FAMILY) + rng.choice(GIVEN),
                                   "location_code": rng.choice(["D01", "D02"]), "role": "doctor", "title": "主治医师",
                                   "voided": 0, "date_changed": stamp})
        for i in range(1, 29):
            rows[schedule].append({"schedule_id": i, "clinic_date": day + datetime.timedelta(days=i // 4),
                                   "session": ["AM", "PM"][i % 2], "location_code": "D01",
                                   "provider_code": f"E{i % 20 + 1:04d}", "clinic_type": "普通",
                                   "fee": Decimal("10.00"), "quota": 40, "voided": 0, "date_changed": stamp})
        for i in range(1, DRUGS + 1):
            rows[drug].append({"code": f"Y{i:05d}", "name": f"药品{i}", "strength": "0.25g×24粒",
                               "form": "胶囊", "unit": "盒", "manufacturer": "某药厂",
                               "price": Decimal(rng.randrange(100, 20000)) / 100,
                               "insurance_class": rng.choice("甲乙丙"), "voided": 0, "date_changed": stamp})
            rows[stock].append({"stock_id": i, "pharmacy_code": "D04", "drug_code": f"Y{i:05d}",
                                "batch_no": f"B{i}", "quantity": Decimal(rng.randrange(0, 500)),
                                "expiry": day + datetime.timedelta(days=400), "voided": 0, "date_changed": stamp})
        for i in range(1, SERVICES + 1):
            rows[service].append({"code": f"S{i:05d}", "name": f"项目{i}",
                                  "category": rng.choice(["检查", "化验", "治疗"]), "unit": "次",
                                  "insurance_class": rng.choice("甲乙"), "voided": 0, "date_changed": stamp})
            for j, start in enumerate((day - datetime.timedelta(days=300), day - datetime.timedelta(days=20))):
                rows[service_price].append({"price_id": 2 * i - 1 + j, "service_code": f"S{i:05d}",
                                            "price": Decimal(rng.randrange(500, 50000)) / 100, "effective_from": start,
                                            "voided": 0, "date_changed": stamp})
        for code, name, self_pay in (("01", "城镇职工医保", 0), ("02", "城乡居民医保", 0), ("09", "自费", 1)):
            rows[insurance_plan].append({"code": code, "name": name, "self_pay": self_pay, "voided": 0,
                                         "date_changed": stamp})
        with engine.begin() as connection:
            for table, found in rows.items():
                for start in range(0, len(found), 5000):
                    connection.execute(table.insert(), found[start:start + 5000])
        return {table.name: len(found) for table, found in rows.items()}
    finally:
        engine.dispose()


def now_sql(dialect: str, hours: int = 0) -> str:
    """The database's clock in SQL, `hours` on."""
    if dialect == "postgresql":
        return f"(LOCALTIMESTAMP + INTERVAL '{hours} hours')"
    if dialect == "sqlite":
        return f"datetime('now', 'localtime', '{hours:+d} hours')"
    return f"(NOW(6) + INTERVAL {hours} HOUR)"


def execute(url: str, sql: str, **params) -> int:
    """One statement, committed; {NOW} is the database's clock, {NOW+5h} five hours on. Rows changed."""
    engine = sa.create_engine(url)
    try:
        name = engine.dialect.name
        sql = sql.replace("{NOW+5h}", now_sql(name, 5)).replace("{NOW}", now_sql(name))
        with engine.begin() as connection:
            return connection.execute(sa.text(sql), params).rowcount
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


# A current row of a child table joined on its person, its stamp counted in the watermark;
# COALESCE because MariaDB's (and SQLite's) GREATEST is NULL as soon as one argument is.
QUERIES = {
    "patient": (["card_no"], """
        SELECT card.identifier AS card_no,
               CONCAT(n.family_name, n.given_name) AS name,
               {SEX} AS sex,
               p.birthdate AS birth_date,
               idc.identifier AS id_card_no,
               phone.value AS phone,
               ins.value AS insurance_type,
               insno.identifier AS insurance_no,
               GREATEST(p.date_changed, n.date_changed, card.date_changed,
                        COALESCE(idc.date_changed, p.date_changed), COALESCE(phone.date_changed, p.date_changed),
                        COALESCE(ins.date_changed, p.date_changed),
                        COALESCE(insno.date_changed, p.date_changed)) AS his_modified
        FROM person p
        JOIN identifier card ON card.person_id = p.person_id AND card.identifier_type = 'CARD' AND card.voided = 0
        JOIN person_name n ON n.person_id = p.person_id AND n.preferred = 1 AND n.voided = 0
        LEFT JOIN identifier idc ON idc.person_id = p.person_id AND idc.identifier_type = 'ID_CARD'
             AND idc.voided = 0
        LEFT JOIN person_attribute phone ON phone.person_id = p.person_id AND phone.attribute_type = 'PHONE'
             AND phone.voided = 0
        LEFT JOIN person_attribute ins ON ins.person_id = p.person_id AND ins.attribute_type = 'INSURANCE_TYPE'
             AND ins.voided = 0
        LEFT JOIN identifier insno ON insno.person_id = p.person_id AND insno.identifier_type = 'INSURANCE'
             AND insno.voided = 0
        WHERE p.voided = 0"""),
    "department": (["code"], """
        SELECT code, name, kind, outpatient, building AS location, date_changed AS his_modified
        FROM location WHERE voided = 0"""),
    "staff": (["code"], """
        SELECT code, name, location_code AS department_code, role, title, date_changed AS his_modified
        FROM provider WHERE voided = 0"""),
    "clinic_schedule": (["schedule_id"], """
        SELECT schedule_id, clinic_date, session, location_code AS department_code, provider_code AS doctor_code,
               clinic_type, fee, quota, date_changed AS his_modified
        FROM schedule WHERE voided = 0 AND clinic_date >= CURRENT_DATE"""),
    "drug": (["code"], """
        SELECT code, name, strength AS spec, form, unit, manufacturer, price, insurance_class AS insurance_category,
               date_changed AS his_modified
        FROM drug WHERE voided = 0"""),
    "drug_stock": (["pharmacy_code", "drug_code", "batch_no"], """
        SELECT pharmacy_code, drug_code, batch_no, quantity, expiry AS expiry_date, date_changed AS his_modified
        FROM stock WHERE voided = 0"""),
    "price_item": (["code"], """
        SELECT s.code, s.name, s.category, s.unit, sp.price, s.insurance_class AS insurance_category,
               GREATEST(s.date_changed, sp.date_changed) AS his_modified
        FROM service s
        JOIN service_price sp ON sp.service_code = s.code AND sp.voided = 0
         AND sp.effective_from = (SELECT MAX(cur.effective_from) FROM service_price cur
                                  WHERE cur.service_code = s.code AND cur.voided = 0
                                    AND cur.effective_from <= CURRENT_DATE)
        WHERE s.voided = 0"""),
    "insurance_type": (["code"], """
        SELECT code, name, CASE self_pay WHEN 1 THEN 0 ELSE 1 END AS insured, date_changed AS his_modified
        FROM insurance_plan WHERE voided = 0"""),
    # This HIS keeps no invoice number ranges: the entity is required, so its query yields no row.
    "invoice_range": (["range_id"], """
        SELECT code AS range_id, code AS cashier_code, 0 AS first_no, 0 AS last_no, 0 AS next_no
        FROM insurance_plan WHERE 1 = 0"""),
}
SEX = "CASE p.gender WHEN 'M' THEN '1' WHEN 'F' THEN '2' ELSE '0' END"


def mapping_text(url: str, sex: str = SEX, extra: dict[str, str] | None = None) -> str:
    """The mapping of this HIS; `sex` the expression of the sex column, `extra` more YAML lines per
    entity (on_invalid_row, fields, limits)."""
    url = sa.engine.make_url(url)
    dialect = url.get_backend_name()
    lines = ["version: 1", f"his: normalised test HIS ({dialect})", "connection:",
             f"  url: {url.render_as_string(hide_password=False)}", "entities:"]
    for entity, (key, query) in QUERIES.items():
        if dialect == "sqlite":
            query = query.replace("GREATEST(", "MAX(").replace("CONCAT(n.family_name, n.given_name)",
                                                                "n.family_name || n.given_name")
        lines += [f"  {entity}:", f"    key: [{', '.join(key)}]"]
        if entity != "invoice_range":
            lines.append("    watermark: his_modified")
        lines += ["    " + line for line in (extra or {}).get(entity, "").splitlines()]
        lines.append("    query: |")
        lines += ["      " + line.strip() for line in query.replace("{SEX}", sex).strip().splitlines()]
    return "\n".join(lines) + "\n"
