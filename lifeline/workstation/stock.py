"""Local stock: the pharmacy's stock in the base data, less what this station has given out that
the base data's stock does not count yet (its `stock_moves`, written with the events that take
the drugs).

Rebased on every newer package. A move (event n of this station) is counted in a package's
stock if and only if the HIS held event n merged when the package's build read it: merge-back
writes the event's records and its row of the HIS's merge ledger in one HIS transaction, and the
build reads that ledger in its snapshot of the HIS, before the stock (lifeline.snapshots.merged).
The package's manifest carries it (`merged`, per station its merged sequence numbers as ranges;
`Station.merged` holds this station's). So:

- an emergency move is subtracted unless its event is in the package's merged ranges: a package
  built when the HIS is back but before merge-back ran still has the stock from before the
  downtime, and the moves stay subtracted until a package built after their merge; a move held
  back by a conflict (not merged) stays subtracted past later events' merge;
- a drill move never reaches the HIS: it is subtracted only while it was made after the package
  read the HIS (`Station.as_of`, the package's built_at), so the drill's takings drop out with
  the next package;
- a package that does not say (`merged` None: built before packages carried it, or its ledger
  could not be read) falls back to time alone, for every move: moves made after the package
  read the HIS are subtracted, the others taken as counted (right only once they were merged).
  A station that does not know when its data was read either (`as_of` None) subtracts every move.

A merge committing between the build's ledger read and its stock read (a HIS whose snapshot is
not one consistent read) is at worst subtracted twice: less stock is shown, never more.
"""
import json
from decimal import Decimal

from lifeline.his.wording import gettext as _
from lifeline.workstation.errors import StationRefused

# The moves not counted in the base data's stock (see the module), as (quantity, how many): the
# Decimal sum is left to Python, over a few distinct quantities. Binds: pharmacy, drug, the
# merged ranges as JSON (NULL: the package does not say), as_of (NULL: unknown).
_NOT_COUNTED = """
WITH merged(first, last) AS MATERIALIZED (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(coalesce(?3, '[]')))
SELECT m.quantity, count(*) FROM stock_moves m JOIN journal j ON j.seq = m.seq
WHERE m.pharmacy_code = ?1 AND m.drug_code = ?2 AND CASE
    WHEN j.mode <> 'drill' AND ?3 IS NOT NULL
        THEN NOT EXISTS (SELECT 1 FROM merged r WHERE m.seq BETWEEN r.first AND r.last)
    ELSE ?4 IS NULL OR julianday(j.recorded_at) > julianday(?4) END
GROUP BY m.quantity
"""


def available(station, pharmacy_code: str, drug_code: str) -> Decimal:
    """Stock left: the base data's, plus this station's moves (negative: taken) it does not count
    yet (see the module); the moves are chosen and counted in SQL."""
    held = station.db.execute("SELECT quantity FROM base.drug_stock WHERE pharmacy_code = ? AND drug_code = ?",
                              (pharmacy_code, drug_code)).fetchall()
    merged = None if station.merged is None else json.dumps(station.merged)
    since = None if station.as_of is None else station.as_of.isoformat()
    moved = station.db.execute(_NOT_COUNTED, (pharmacy_code, drug_code, merged, since)).fetchall()
    return sum((Decimal(q) for (q,) in held), Decimal(0)) + sum((Decimal(q) * n for q, n in moved), Decimal(0))


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
