"""A small station base data set, as a package chain applied gives it, sealed with the station's key."""
import sqlite3
from pathlib import Path

from lifeline.package.tables import TABLES, row_hash
from lifeline.workstation import basedata

PATIENTS = [("C0001", "张三", "1", "1980-01-02", None, "13800138000", None, None),
            ("C0002", "李四", "2", "1975-05-06", None, None, "101", "YB0002"),
            ("C0003", "单雄信", "1", "1966-07-08", "11010519491231002X", None, None, None),
            ("C0004", "张珊", "2", "1980-01-02", None, "13800138000", None, None)]
ROWS = {
    "patient": PATIENTS,
    "department": [("D01", "内科", "clinical", 1, "门诊楼2层"), ("PH1", "门诊西药房", "pharmacy", 0, "门诊楼1层")],
    "staff": [("0101", "王医生", "D01", "doctor", "主任医师"), ("0201", "赵收费", "ADM", "cashier", None),
              ("0202", "钱收费", "ADM", "cashier", None), ("0301", "孙药师", "PH1", "pharmacist", None)],
    "clinic_schedule": [("S-AM-1", "2026-12-06", "AM", "D01", "0101", "专家", "20.00", 30),
                        ("S-AM-2", "2026-12-06", "AM", "D01", None, "普通", "9.80", 100)],
    "drug": [("Y001", "阿莫西林胶囊", "0.25g*24粒", "胶囊", "盒", "某药厂", "12.50", "甲"),
             ("Y002", "布洛芬缓释胶囊", "0.3g*20粒", "胶囊", "盒", None, "18.00", "乙")],
    "drug_stock": [("PH1", "Y001", "B1", "10", "2027-12-31"), ("PH1", "Y001", "B2", "5", "2028-06-30"),
                   ("PH1", "Y002", "B1", "3", None)],
    "price_item": [("F001", "血常规", "化验", "次", "25.00", "甲"), ("F002", "胸部X线", "检查", "次", "80.00", "乙")],
    "insurance_type": [("101", "城镇职工医保", 1), ("999", "自费", 0)],
    "invoice_range": [("R1", "0201", 1000, 1999, 1000), ("R2", "0202", 5000, 5002, 5000)],
}


def write_base(directory: Path, key: bytes, rows: dict = ROWS) -> Path:
    """DIR/base.sqlite3, encrypted: the canonical tables with these rows (and their hashes)."""
    plain = directory / "plain-base.sqlite3"
    db = sqlite3.connect(plain)
    for name, table in TABLES.items():
        table.create(db)
        db.executemany(table.insert_sql(), [(*row, row_hash(row)) for row in rows.get(name, [])])
    db.commit()
    db.close()
    basedata.seal(plain, directory / "base.sqlite3", key)
    plain.unlink()
    return directory / "base.sqlite3"
