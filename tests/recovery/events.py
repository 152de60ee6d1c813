"""Journal events as a station records them (lifeline.workstation.journal), made without a station."""
import uuid
from datetime import UTC, datetime, timedelta

from lifeline.workstation.journal import GENESIS, chain_hash

START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def chain(count: int, after: list[dict] | None = None, code: str = "S1") -> list[dict]:
    """`count` events continuing `after` (or from the first)."""
    seq, prev = (after[-1]["seq"], after[-1]["hash"]) if after else (0, GENESIS)
    made = []
    for n in range(seq + 1, seq + count + 1):
        body = {"seq": n, "event_id": str(uuid.uuid4()), "station": code, "operator": "C001",
                "recorded_at": (START + timedelta(minutes=n)).isoformat(), "kind": "charge",
                "payload": {"invoice_no": f"FP{n:06d}", "amount": "9.80"}, "package_id": "full-20261206-0800",
                "price_version": "price_item:abc/drug:def", "mode": "emergency"}
        prev = chain_hash(prev, body)
        made.append({**body, "prev_hash": made[-1]["hash"] if made else (after[-1]["hash"] if after else GENESIS),
                     "hash": prev})
    return made


def rehashed(events: list[dict], prev: str) -> list[dict]:
    """The events chained anew after `prev` (what a forger who edits an event must do)."""
    out = []
    for event in events:
        body = {k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
        digest = chain_hash(prev, body)
        out.append({**body, "prev_hash": prev, "hash": digest})
        prev = digest
    return out
