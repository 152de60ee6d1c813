"""Local stock: the pharmacy's stock in the base data, less what this station has given out
since that data read the HIS (its `stock_moves`, written with the events that take the drugs).

Rebased on every newer package: a package's stock already counts the moves the HIS knew of
when the package read it (`Station.as_of`, the package's `built_at`), so only the moves the
station recorded after that time are subtracted; the others would be taken twice. A station
that does not know when its data was read (`as_of` None) subtracts every move it made.
"""
from datetime import datetime
from decimal import Decimal

from lifeline.his.wording import gettext as _
from lifeline.workstation.errors import StationRefused


def available(station, pharmacy_code: str, drug_code: str) -> Decimal:
    """Stock left: the base data's, plus this station's moves (negative: taken) made after the
    base data read the HIS (each move's time is its event's, in the journal)."""
    held = station.db.execute("SELECT quantity FROM base.drug_stock WHERE pharmacy_code = ? AND drug_code = ?",
                              (pharmacy_code, drug_code)).fetchall()
    moved = station.db.execute("SELECT m.quantity, j.recorded_at FROM stock_moves m JOIN journal j ON j.seq = m.seq "
                               "WHERE m.pharmacy_code = ? AND m.drug_code = ?", (pharmacy_code, drug_code)).fetchall()
    since = station.as_of
    return sum((Decimal(q) for (q,) in held), Decimal(0)) + sum(
        (Decimal(q) for q, at in moved if since is None or datetime.fromisoformat(at) > since), Decimal(0))


def drug(db, code: str, field: str) -> tuple:
    """(name, unit, price, insurance category) of a drug in the dictionary."""
    row = db.execute("SELECT name, unit, price, insurance_category FROM base.drug WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise StationRefused(field, _("drug %(code)s is not in the drug dictionary") % {"code": code})
    return row


def take(station, tx, pharmacy_code: str, lines: list[tuple[str, Decimal]], field: str = "lines"):
    """Take `lines` (drug code, quantity) from the pharmacy's stock; refused, naming the line, when
    a drug has less left than asked (lines of one drug count together)."""
    asked: dict[str, Decimal] = {}
    for i, (code, quantity) in enumerate(lines):
        asked[code] = asked.get(code, Decimal(0)) + quantity
        left = available(station, pharmacy_code, code)
        if asked[code] > left:
            raise StationRefused(f"{field}.{i}.quantity", _("out of stock: %(left)s of %(code)s left in "
                                                            "pharmacy %(pharmacy)s") %
                                 {"left": left, "code": code, "pharmacy": pharmacy_code})
    tx.db.executemany("INSERT INTO stock_moves VALUES (?, ?, ?, ?)",
                      [(tx.next_seq, pharmacy_code, code, str(-quantity)) for code, quantity in lines])
