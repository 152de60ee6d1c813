"""Local stock: the pharmacy's stock in the base data, less what this station has given out
since (its `stock_moves`, written with the events that take the drugs)."""
from decimal import Decimal

from lifeline.his.wording import gettext as _
from lifeline.workstation.errors import StationRefused


def available(db, pharmacy_code: str, drug_code: str) -> Decimal:
    held = db.execute("SELECT quantity FROM base.drug_stock WHERE pharmacy_code = ? AND drug_code = ?",
                      (pharmacy_code, drug_code)).fetchall()
    moved = db.execute("SELECT quantity FROM stock_moves WHERE pharmacy_code = ? AND drug_code = ?",
                       (pharmacy_code, drug_code)).fetchall()
    return sum((Decimal(q) for (q,) in held), Decimal(0)) + sum((Decimal(q) for (q,) in moved), Decimal(0))


def drug(db, code: str, field: str) -> tuple:
    """(name, unit, price) of a drug in the dictionary."""
    row = db.execute("SELECT name, unit, price FROM base.drug WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise StationRefused(field, _("drug %(code)s is not in the drug dictionary") % {"code": code})
    return row


def take(tx, pharmacy_code: str, lines: list[tuple[str, Decimal]], field: str = "lines"):
    """Take `lines` (drug code, quantity) from the pharmacy's stock; refused, naming the line, when
    a drug has less left than asked (lines of one drug count together)."""
    asked: dict[str, Decimal] = {}
    for i, (code, quantity) in enumerate(lines):
        asked[code] = asked.get(code, Decimal(0)) + quantity
        left = available(tx.db, pharmacy_code, code)
        if asked[code] > left:
            raise StationRefused(f"{field}.{i}.quantity", _("out of stock: %(left)s of %(code)s left in "
                                                            "pharmacy %(pharmacy)s") %
                                 {"left": left, "code": code, "pharmacy": pharmacy_code})
    tx.db.executemany("INSERT INTO stock_moves VALUES (?, ?, ?, ?)",
                      [(tx.next_seq, pharmacy_code, code, str(-quantity)) for code, quantity in lines])
