"""The station's journal (日志): every action is an event, appended, never changed.

    journal = Journal.open(path, key, in_force, clock)
    with journal.transaction() as tx:
        tx.db.execute("INSERT INTO visits …")               # the business rows
        event = tx.record("registration", operator, {...})  # and its event
    # only now may anything print: the COMMIT has returned

Invariants:
- An event and the business rows it speaks for commit in one SQLite transaction (WAL,
  synchronous=FULL): after a kill -9 or a power cut both are there or neither is.
- `seq` counts the station's events from 1 without gaps; `event_id` is a UUID, unique
  everywhere (merge-back writes each once).
- Each event's `hash` is SHA-256 over the previous event's hash (64 zeros for the first) and
  the canonical JSON of the event's other fields (`canonical_json`): changing, removing or
  reordering any event breaks the chain from there on, and `verify` names where.
- A storage fault (disk full, I/O error) rolls the transaction back and refuses it with a
  message saying so; what committed before stays committed.
"""
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime

from lifeline.workstation import store
from lifeline.workstation.errors import StationRefused

GENESIS = "0" * 64
READY, EMERGENCY, DRILL = "ready", "emergency", "drill"

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    station TEXT NOT NULL,
    operator TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    package_id TEXT NOT NULL,
    price_version TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('ready', 'emergency', 'drill')),
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS journal_append_only_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_append_only_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""


@dataclass(frozen=True)
class InForce:
    """What the station works with when it records an event."""

    station: str
    package_id: str
    price_version: str  # the price dictionaries' checksums in the package (see price_version)
    # READY: lookups only, the station's own events (leases) but no desk work; EMERGENCY: downtime
    # declared; DRILL: 演练, every event marked, never merged into the real HIS.
    mode: str = EMERGENCY


def price_version(manifest: dict) -> str:
    """The prices in force, named by the package's checksums of its price list and drug dictionary:
    equal for two packages exactly when their prices (and drug rows) are equal."""
    entities = manifest["entities"]
    return "/".join(f"{name}:{entities[name]['total_digest'][:12]}" for name in ("price_item", "drug"))


@dataclass(frozen=True)
class Event:
    seq: int
    event_id: str
    station: str
    operator: str
    recorded_at: str
    kind: str
    payload: dict
    package_id: str
    price_version: str
    mode: str
    prev_hash: str
    hash: str

    def body(self) -> dict:
        """What the hash covers besides the previous hash: every field but the two hashes."""
        fields = asdict(self)
        del fields["prev_hash"], fields["hash"]
        return fields


def canonical_json(value) -> str:
    """One text per value: keys sorted, no spaces, UTF-8 characters as they are; decimals and
    dates as their text (a decimal keeps its places: 9.80 stays "9.80")."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(body)).encode()).hexdigest()


_COLUMNS = ("seq, event_id, station, operator, recorded_at, kind, payload, package_id, price_version, mode, "
            "prev_hash, hash")


def _event(row) -> Event:
    values = list(row)
    values[6] = json.loads(values[6])
    return Event(*values)


class Transaction:
    """One journal transaction: `db` to write the business rows, `record` to append events."""

    def __init__(self, journal: "Journal"):
        self.journal, self.db = journal, journal.db
        self.events: list[Event] = []
        head = self.db.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        self._seq, self._hash = head or (0, GENESIS)

    @property
    def next_seq(self) -> int:
        """The sequence number the next event recorded in this transaction gets."""
        return self._seq + 1

    def record(self, kind: str, operator: str, payload: dict) -> Event:
        """Append an event (committed with the transaction, or not at all)."""
        in_force = self.journal.in_force
        body = {"seq": self._seq + 1, "event_id": str(uuid.uuid4()), "station": in_force.station,
                "operator": operator, "recorded_at": self.journal.clock().isoformat(), "kind": kind,
                "payload": json.loads(canonical_json(payload)), "package_id": in_force.package_id,
                "price_version": in_force.price_version, "mode": in_force.mode}
        event = Event(**body, prev_hash=self._hash, hash=chain_hash(self._hash, body))
        self.db.execute(f"INSERT INTO journal ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
                        (*list(body.values())[:6], canonical_json(body["payload"]), *list(body.values())[7:],
                         event.prev_hash, event.hash))
        self._seq, self._hash = event.seq, event.hash
        self.events.append(event)
        return event


class Journal:
    """The station's journal on its (encrypted) database connection."""

    def __init__(self, db: store.Connection, in_force: InForce, clock: Callable[[], datetime]):
        self.db, self.in_force, self.clock = db, in_force, clock
        self.fault = ""  # the last storage fault, until a transaction commits again
        db.executescript(SCHEMA)

    @classmethod
    def open(cls, path, key: bytes, in_force: InForce, clock: Callable[[], datetime]) -> "Journal":
        return cls(store.connect(path, key), in_force, clock)

    @contextmanager
    def transaction(self):
        """A Transaction committed when the block ends; rolled back, and nothing recorded, if
        it raises. A storage fault is refused (StationRefused) after the rollback."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            tx = Transaction(self)
        except store.Error as exc:
            self._rollback()
            raise self._refusal(exc) from exc
        try:
            yield tx
            self.db.execute("COMMIT")
        except store.Error as exc:
            self._rollback()
            if store.is_storage_fault(exc):
                raise self._refusal(exc) from exc
            raise
        except BaseException:
            self._rollback()
            raise
        self.fault = ""

    def _rollback(self):
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except store.Error:  # SQLite may have rolled back already (disk full, I/O error)
                pass

    def _refusal(self, exc: Exception) -> StationRefused:
        self.fault = str(exc)
        return StationRefused("", f"the station cannot write its journal ({exc}); nothing was recorded and "
                                  f"nothing recorded before is lost. Free disk space or call IT, then try again")

    def events(self, after: int = 0):
        """The events after sequence number `after`, in order."""
        return map(_event, self.db.execute(f"SELECT {_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq", (after,)))

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM journal").fetchone()[0]

    def close(self):
        self.db.close()


@dataclass(frozen=True)
class Verification:
    count: int
    first_bad: int | None = None  # the sequence number where the chain breaks
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify(db: store.Connection) -> Verification:
    """The station's journal in `db`, walked by `verify_events`."""
    return verify_events(map(_event, db.execute(f"SELECT {_COLUMNS} FROM journal ORDER BY seq")))


def verify_events(events: Iterable[Event]) -> Verification:
    """Walk the chain from the first event: sequence numbers 1, 2, … without gaps, each event's
    prev_hash the hash before it, each hash recomputed from the event. Names the first bad seq.
    The server walks the events it received with it, as the station walks its own."""
    expected_prev, count = GENESIS, 0
    for event in events:
        count += 1
        if event.seq != count:
            return Verification(count - 1, count, f"sequence number {count} is missing (next is {event.seq})")
        if event.prev_hash != expected_prev:
            return Verification(count - 1, event.seq, "its previous hash is not the hash of the event before it")
        if chain_hash(event.prev_hash, event.body()) != event.hash:
            return Verification(count - 1, event.seq, "its hash does not match its contents (changed after it "
                                                      "was recorded)")
        expected_prev = event.hash
    return Verification(count)
