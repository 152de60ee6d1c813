"""Which stations' events the HIS held merged when a build read it: the package manifest's
`merged`, which a station's local stock is rebased on (lifeline.workstation.stock).

    manifest["merged"] = merged.read(snap)   # {"收费-01": [[1, 340], [342, 500]], ...} or None

Read from the HIS's own merge ledger (LIFELINE_MERGE_LEDGER, lifeline.his.writer): merge-back
writes an event's ledger row in the same HIS transaction as its records, so the ledger is the
truth of "merged" (Lifeline's ReceivedEvent.merged_at is set only after the HIS committed, and
lags it). Read in the build's HIS transaction, before any entity: where the snapshot is one
consistent read (REPEATABLE READ, SERIALIZABLE, SNAPSHOT, SQLite's read transaction) the
ledger and the stock are the same moment, exact; where it is not, a merge committing between
the ledger read and the stock read counts its events in the stock while they are listed as not
merged, so they are subtracted twice: the station shows less stock than there is, the safe
side, until the next package.

Per station the sequence numbers merged, as ascending closed ranges, keyed by the station's
code in its events (what the station knows itself by): the ledger names a station as the server
registered it, and the app holding the received journals says which code each name's events
carry (`codes_with`, registered by lifeline.recovery, which sits above this app). A name
without a known code is kept as it is (the usual case: the station is registered under its
code); a code two names claim is said to have nothing merged (less stock shown, never more). Merge-
back goes per station in seq order, but events held by an open conflict are left behind while
later ones are written, so the ranges can have holes; gaps and islands are found in SQL.

Known limit: a mapping that writes back through a staging table (the HIS's own job takes the
rows in later) has an event's ledger row before the HIS's stock counts it; until that job ran a
station takes the event as counted and shows too much stock.

No ledger in the HIS: nothing was ever merged ({}). A ledger the reading account may not read:
None, the manifest has no `merged`, and stations keep the older rule (moves made before the
package read the HIS are taken as counted).
"""
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from lifeline.his.writer import LEDGER, LEDGER_NAME

log = logging.getLogger("lifeline.snapshots")
_codes: list[Callable[[], dict[str, set[str]]]] = []


def codes_with(provider: Callable[[], dict[str, set[str]]]):
    """`provider()`: per station name (as the ledger names it) the codes its events carry."""
    _codes[:] = [provider]


def read(snap) -> dict[str, list[list[int]]] | None:
    """The merged ranges per station, read in the snapshot's transaction (see the module)."""
    connection = snap.connection
    try:
        with connection.begin_nested():  # a refusal must not end the snapshot's transaction
            if not sa.inspect(connection).has_table(LEDGER_NAME):
                return {}
            found = ranges(connection)
    except DBAPIError as exc:
        log.warning("the merge ledger could not be read (%s): the package says nothing of merged events",
                    str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__)
        return None
    return by_code(found, _codes[0]() if _codes else {})


def by_code(found: dict[str, list[list[int]]], codes: dict[str, set[str]]) -> dict[str, list[list[int]]]:
    """The ranges keyed by each name's code(s) (see the module); a code claimed twice: []."""
    keyed, claimed = {}, {}
    for name, held in found.items():
        for code in codes.get(name) or {name}:
            claimed[code] = claimed.get(code, 0) + 1
            keyed[code] = held if claimed[code] == 1 else []
    return dict(sorted(keyed.items()))


def ranges(connection) -> dict[str, list[list[int]]]:
    """Gaps and islands: within a station, seq minus its rank is the same along a run of
    consecutive numbers."""
    rank = sa.func.row_number().over(partition_by=LEDGER.c.station, order_by=LEDGER.c.seq)
    numbered = sa.select(LEDGER.c.station, LEDGER.c.seq, (LEDGER.c.seq - rank).label("island")).subquery()
    low, high = sa.func.min(numbered.c.seq), sa.func.max(numbered.c.seq)
    found: dict[str, list[list[int]]] = {}
    for station, first, last in connection.execute(
            sa.select(numbered.c.station, low, high).group_by(numbered.c.station, numbered.c.island)
            .order_by(numbered.c.station, low)):
        found.setdefault(station, []).append([int(first), int(last)])
    return found
