"""An old system on MariaDB and its migrated copy on PostgreSQL, with planted differences.

The copy stores the same facts differently, as a real migration does: names trimmed (the old
system padded them), registration times as timestamptz in UTC (the old system kept Beijing time
without a zone), balances as numeric(14,2) (the old system's DECIMAL(12,4)), booleans as
booleans (the old system's TINYINT). The spec's normalisation makes those equal; only the
planted differences remain.
"""
import os
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

SERVERS = {
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{}?charset=utf8mb4", "mysql", " CHARACTER SET utf8mb4"),
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{}", "postgres", ""),
}
BEIJING = ZoneInfo("Asia/Shanghai")
PATIENTS, STORES, DRUGS = 3_000, 4, 500

SPEC = """\
range_rows: {range_rows}
leaf_rows: {leaf_rows}
tables:
  - name: patients
    source: his_patient
    target: patient
    key: [patient_id]
    columns:
      - {{source: patient_name, target: name, trim: true}}
      - phone
      - {{name: balance, decimal: 2}}
      - {{name: registered_at, time: second, zone: Asia/Shanghai}}
      - active
    where: {{source: "patient_id > 0"}}
  - name: stock
    source: drug_stock
    key: [store_code, drug_id]
    columns: [quantity, {{name: price, decimal: 2}}]
    tolerance: 5
"""


def database(engine: str, purpose: str):
    """A fresh database on a real server (a generator: yields its URL, drops it afterwards)."""
    url, admin_db, charset = SERVERS[engine]
    name = f"lifeline_cmp_{purpose}_{secrets.token_hex(3)}"
    admin = sa.create_engine(url.format(admin_db), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}{charset}")
    except OperationalError as exc:
        admin.dispose()
        message = f"{engine} is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: comparison tests run on real servers)")
        pytest.skip(message)
    try:
        yield url.format(name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name}" + (" WITH (FORCE)" if engine == "postgresql" else ""))
        admin.dispose()


def old_rows(seed: int = 7):
    """The old system's patients and stock, as the old system stores them."""
    start = datetime(2024, 1, 1, 8, 0, 0)
    patients = [{"patient_id": i, "patient_name": f"患者{i:05d}  ", "phone": f"1380000{i:04d}",
                 "balance": Decimal(f"{(i * seed) % 1000}.{i % 100:02d}00"),
                 "registered_at": start + timedelta(minutes=37 * i, microseconds=250_000),
                 "active": i % 9 != 0} for i in range(1, PATIENTS + 1)]
    stock = [{"store_code": f"S{s:02d}", "drug_id": d, "quantity": (s * d) % 400,
              "price": Decimal(f"{d % 90}.{(d * 7) % 100:02d}")} for s in range(1, STORES + 1)
             for d in range(1, DRUGS + 1)]
    return patients, stock


def migrated(patients, stock):
    """The same facts as the new system stores them."""
    return ([{"patient_id": p["patient_id"], "name": p["patient_name"].strip(), "phone": p["phone"],
              "balance": p["balance"], "active": p["active"],
              "registered_at": p["registered_at"].replace(tzinfo=BEIJING, microsecond=0)} for p in patients],
            [dict(row) for row in stock])


def create_old(url: str, patients, stock):
    meta = sa.MetaData()
    sa.Table("his_patient", meta, sa.Column("patient_id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("patient_name", sa.String(40)), sa.Column("phone", sa.String(20)),
             sa.Column("balance", sa.Numeric(12, 4)), sa.Column("registered_at", sa.DateTime),
             sa.Column("active", sa.SmallInteger))
    _stock_table(meta)
    _load(url, meta, {"his_patient": [dict(p, active=int(p["active"])) for p in patients], "drug_stock": stock})


def create_new(url: str, patients, stock):
    meta = sa.MetaData()
    sa.Table("patient", meta, sa.Column("patient_id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("name", sa.String(40)), sa.Column("phone", sa.String(20)),
             sa.Column("balance", sa.Numeric(14, 2)), sa.Column("registered_at", sa.DateTime(timezone=True)),
             sa.Column("active", sa.Boolean))
    _stock_table(meta)
    _load(url, meta, {"patient": patients, "drug_stock": stock})


def _stock_table(meta):
    sa.Table("drug_stock", meta, sa.Column("store_code", sa.String(8), primary_key=True),
             sa.Column("drug_id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("quantity", sa.Integer), sa.Column("price", sa.Numeric(10, 2)))


def _load(url, meta, rows):
    engine = sa.create_engine(url)
    meta.create_all(engine)
    with engine.begin() as connection:
        for name, table_rows in rows.items():
            connection.execute(meta.tables[name].insert(), table_rows)
    engine.dispose()


def plant(patients, stock):
    """Plant 50 differences (31 patients, 19 stock rows) in the new system's rows; return the rows
    and the differences as (table, kind, key) triples."""
    planted = set()
    by_id = {p["patient_id"]: p for p in patients}
    for i in range(10, 1010, 100):  # 10 patients not migrated
        del by_id[i]
        planted.add(("patients", "missing", (str(i),)))
    for i in range(PATIENTS + 1, PATIENTS + 9):  # 8 patients only in the new system
        by_id[i] = {"patient_id": i, "name": "新患者", "phone": None, "balance": Decimal(0),
                    "registered_at": datetime(2025, 1, 1, tzinfo=BEIJING), "active": True}
        planted.add(("patients", "extra", (str(i),)))
    changes = [("name", "改名"), ("phone", None), ("balance", Decimal("0.01")), ("active", False)]
    for n, i in enumerate(range(1500, 2700, 100)):  # 12 patients changed, one column each
        column, value = changes[n % len(changes)]
        if column == "active" and not by_id[i]["active"]:
            value = True
        by_id[i][column] = value if column != "balance" else by_id[i]["balance"] + value
        planted.add(("patients", "changed", (str(i),)))
    by_id[2800]["registered_at"] += timedelta(seconds=1)  # a second counts; the dropped 0.25 s does not
    planted.add(("patients", "changed", ("2800",)))
    stock_by_key = {(r["store_code"], r["drug_id"]): r for r in stock}
    for d in (3, 77, 250, 251, 499, 500):  # 6 stock rows not migrated
        del stock_by_key[("S02", d)]
        planted.add(("stock", "missing", ("S02", str(d))))
    for d in range(501, 508):  # 7 stock rows only in the new system
        stock_by_key[("S04", d)] = {"store_code": "S04", "drug_id": d, "quantity": 1, "price": Decimal("1.00")}
        planted.add(("stock", "extra", ("S04", str(d))))
    for d in (1, 100, 200, 300, 400, 450):  # 6 stock rows changed
        stock_by_key[("S03", d)]["quantity"] += 1
        planted.add(("stock", "changed", ("S03", str(d))))
    return list(by_id.values()), list(stock_by_key.values()), planted
