"""What the demo HIS holds of some merge-back changes, and what it should hold."""
import sqlalchemy as sa

from lifeline.his import demo_his
from lifeline.his.writer import LEDGER, Change

TABLES = {"registration": demo_his.OUTP_REGISTER, "charge": demo_his.OUTP_CHARGE,
          "prescription": demo_his.OUTP_PRESC, "dispensing": demo_his.OUTP_DISPENSE}


def held(demo, changes: list[Change]) -> dict:
    """What the HIS holds of these changes: per table the emergency event ids of its rows (a list:
    doubles show), the new patients' cards, and the ledger's (event_id, station, seq, records)."""
    records = [(kind, fields) for change in changes for kind, fields in change.records]
    engine = demo_his.connect(demo.url)
    try:
        with engine.connect() as connection:
            found = {}
            for kind, table in TABLES.items():
                ids = [fields["event_id"] for k, fields in records if k == kind]
                found[kind] = sorted(connection.execute(sa.select(table.c.EMERGENCY_EVENT_ID).where(
                    table.c.EMERGENCY_EVENT_ID.in_(ids or ["-"]))).scalars())
            cards = [fields["card_no"] for kind, fields in records if kind == "new_patient"]
            found["new_patient"] = sorted(connection.execute(sa.select(demo_his.PAT_MASTER_INDEX.c.PATIENT_ID).where(
                demo_his.PAT_MASTER_INDEX.c.PATIENT_ID.in_(cards or ["-"]))).scalars())
            found["ledger"] = []  # a writer that refused before its first batch made no ledger
            if sa.inspect(connection).has_table(LEDGER.name):
                found["ledger"] = sorted(tuple(row) for row in connection.execute(
                    sa.select(LEDGER.c.event_id, LEDGER.c.station, LEDGER.c.seq, LEDGER.c.records)
                    .where(LEDGER.c.event_id.in_([c.event_id for c in changes]))))
        return found
    finally:
        engine.dispose()


def expected(changes: list[Change]) -> dict:
    records = [(kind, fields) for change in changes for kind, fields in change.records]
    found = {kind: sorted(f["event_id"] for k, f in records if k == kind) for kind in TABLES}
    found["new_patient"] = sorted(f["card_no"] for k, f in records if k == "new_patient")
    found["ledger"] = sorted((c.event_id, c.station, c.seq, len(c.records)) for c in changes)
    return found
