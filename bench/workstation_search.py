"""Workstation patient search: p99 over 1,000,000 patients for each way of searching, against an
indexed lookup by primary key in the same run.

The base data is written as a package chain applied gives it (the canonical `patient` table),
made searchable and sealed (`basedata.seal`), and searched through `search.find` on an open
station (SQLCipher, the base data attached). The baseline is a bare `SELECT … WHERE card_no = ?`
on the same connection. Goal (issue 15): each way's p99 at most 30 ms.
"""
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lifeline.his.canonical import id_card_check_digit
from lifeline.package.tables import TABLES, row_hash
from lifeline.workstation import basedata, search, store
from lifeline.workstation.journal import InForce
from lifeline.workstation.station import Station

PATIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
LOOKUPS = 1000
GOAL_MS = 30
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
            "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
            "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单欧阳")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩"
         "凯健俊帆帅旭宁龙林欣怡佳琪晨雨轩博文")


def patient_rows(rng: random.Random):
    start = date(1930, 1, 1)
    for i in range(PATIENTS):
        born = start + timedelta(days=rng.randrange(33_000))
        first17 = f"110105{born:%Y%m%d}{i % 1000:03d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        yield (f"{i:010d}", name, rng.choice("12"), born.isoformat(), first17 + id_card_check_digit(first17),
               f"1{3 + i % 7}{i:09d}", None, None)


def build(directory: Path, key: bytes) -> list[tuple]:
    plain = directory / "plain.sqlite3"
    db = sqlite3.connect(plain)
    for table in TABLES.values():
        table.create(db)
    rows, rng = [], random.Random(15)
    for row in patient_rows(rng):
        rows.append((*row, row_hash(row)))
        if len(rows) == 50_000:
            db.executemany(TABLES["patient"].insert_sql(), rows)
            rows.clear()
    db.executemany(TABLES["patient"].insert_sql(), rows)
    db.commit()
    sample = db.execute(f"SELECT card_no, name, birth_date, id_card_no, phone FROM patient "
                        f"ORDER BY random() LIMIT {LOOKUPS}").fetchall()
    db.close()
    basedata.seal(plain, directory / "base.sqlite3", key)
    plain.unlink()
    return sample


def timed(action, values) -> list[float]:
    times = []
    for value in values:
        start = time.perf_counter()
        action(value)
        times.append(time.perf_counter() - start)
    return times


def p99(times):
    return statistics.quantiles(times, n=100)[98]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "station.key").write_bytes(secrets.token_bytes(64))
        key = store.data_key(directory / "station.key")
        started = time.perf_counter()
        sample = build(directory, key)
        built = time.perf_counter() - started
        station = Station.open(directory, key, InForce("B1", "full-1", "v1"), lambda: datetime.now(UTC))
        db = station.db
        baseline = timed(lambda row: db.execute("SELECT * FROM base.patient WHERE card_no = ?",
                                                (row[0],)).fetchall(), sample)
        ways = {
            "card_no": lambda row: search.find(db, "card_no", row[0]),
            "id_card_no": lambda row: search.find(db, "id_card_no", row[3]),
            "phone": lambda row: search.find(db, "phone", row[4]),
            "name_birth": lambda row: search.find(db, "name_birth", row[1], row[2]),
            "initials": lambda row: search.find(db, "initials", min(search.initials(row[1]))),
        }
        results = {way: timed(action, sample) for way, action in ways.items()}
        station.close()
    print(f"Workstation patient search, {PATIENTS:,} patients (built, indexed and sealed in {built:.0f} s), "
          f"{LOOKUPS} lookups per way:")
    print(f"{'baseline: primary-key lookup':<34} p50 {statistics.median(baseline) * 1000:6.2f} ms   "
          f"p99 {p99(baseline) * 1000:6.2f} ms")
    for way, times in results.items():
        print(f"{'ours: ' + way:<34} p50 {statistics.median(times) * 1000:6.2f} ms   p99 {p99(times) * 1000:6.2f} ms"
              f"   p99 ratio {p99(times) / p99(baseline):6.2f}x   goal <= {GOAL_MS} ms: "
              f"{'met' if p99(times) * 1000 <= GOAL_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
