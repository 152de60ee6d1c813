"""Receiving a station's journal events (by network, USB file or paper back-entry).

    receipt = receive(station, events, via=ReceivedEvent.Via.NETWORK, held=120)

Invariants:
- All or nothing per call: either every new event of `events` is stored, or none is and
  Refused says why, naming the sequence number (and the event's place in the list).
- Idempotent: an event the server holds already (same station, seq, event id and hash) is
  skipped, so a retry, a resumed send, or a USB file after the network (or before it) changes
  nothing the second time.
- What is appended continues the chain the server holds: seq = head + 1, prev_hash = the head's
  hash, and the hash recomputed with journal.chain_hash over Event.body(). A gap, a reorder, an
  edited event, or an event id held with another hash is refused.
- The station's StationJournal row is locked (SELECT … FOR UPDATE) for the whole call, so two
  deliveries of one station at once are appended one after the other.
- A delivery that added events writes one audit entry (not one per event).
"""
import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lifeline.audit import services as audit
from lifeline.audit.models import AuditEntry
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.stations.models import Station
from lifeline.workstation.journal import (
    DRILL,
    EMERGENCY,
    GENESIS,
    READY,
    Event,
    Verification,
    chain_hash,
    verify_events,
)

FIELDS = tuple(f.name for f in dataclasses.fields(Event))
_HASH = re.compile(r"[0-9a-f]{64}")
_TEXT_LIMITS = {"event_id": 40, "station": 100, "operator": 40, "recorded_at": 40, "kind": 40, "package_id": 64,
                "price_version": 200}
_CHUNK = 1000  # rows per query or insert: bounded statements whatever the size of a USB file


@dataclass(frozen=True)
class Receipt:
    received: int  # new events stored now
    duplicates: int  # events held already, skipped
    head_seq: int  # the station's journal as the server holds it now
    head_hash: str


def head(station: Station) -> tuple[int, str]:
    """(seq, hash) of the last event held of the station: the station sends what follows."""
    found = StationJournal.objects.filter(station=station).values_list("received_seq", "received_hash").first()
    return found or (0, GENESIS)


def receive(station: Station, events: list[dict], via: str, *, held: int | None = None,
            held_at: datetime | None = None) -> Receipt:
    """Store the events of `station` that continue its chain; skip those held. `held`: how many
    events the station says it holds, said now or at `held_at` (a USB file's export time): an
    older word than the one recorded is not taken. Refused naming the seq (and `events[i]`)
    when the chain does not continue; nothing is stored then."""
    if via not in ReceivedEvent.Via.values:
        raise Refused("via", _("%(via)s is not a way of receiving (%(ways)s)")
                      % {"via": via, "ways": ", ".join(ReceivedEvent.Via.values)})
    parsed = [_parsed(i, raw) for i, raw in enumerate(events)]
    now = clock.now()
    with transaction.atomic():
        journal = _locked_journal(station)
        before = (journal.received_seq, journal.received_hash)
        new, duplicates = _new_events(station, journal, parsed)
        if new:
            _store(station, new, via, now)
            journal.received_seq, journal.received_hash = new[-1][1].seq, new[-1][1].hash
            journal.received_at, journal.last_event_at = now, _event_time(new[-1][1])
        said_at = held_at or now
        if held is not None and (journal.held_reported_at is None or said_at > journal.held_reported_at):
            journal.held, journal.held_reported_at = held, said_at
        journal.save()
        if new:
            audit.append(AuditEntry.Action.UPDATE, journal, {  # by whoever acts (the caller says)
                "received_seq": [before[0], journal.received_seq], "received_hash": [before[1], journal.received_hash],
                "via": via, "events": len(new), "duplicates": duplicates})
    return Receipt(len(new), duplicates, journal.received_seq, journal.received_hash)


def _locked_journal(station: Station) -> StationJournal:
    try:
        with transaction.atomic():
            StationJournal.objects.get_or_create(station=station)
    except IntegrityError:  # created by a delivery at the same moment: it is there now
        pass
    return StationJournal.objects.select_for_update().get(station=station)


def _new_events(station: Station, journal: StationJournal, parsed: list[Event]) -> tuple[list, int]:
    """[(index, event)] of the events after the head, each checked to continue the chain; and
    how many were held already. Refused at the first that fits neither."""
    held = _held(station, [e.seq for e in parsed if e.seq <= journal.received_seq])
    taken = _taken_ids([e.event_id for e in parsed if e.seq > journal.received_seq])
    seq, prev_hash, last_seen, new, duplicates, ids = journal.received_seq, journal.received_hash, 0, [], 0, set()
    for i, event in enumerate(parsed):
        if event.seq <= last_seen:
            _refuse(i, event, _("it comes after sequence number %(before)d: events must be sent in order, each once")
                    % {"before": last_seen})
        last_seen = event.seq
        if event.seq <= journal.received_seq:
            held_id, held_hash = held[event.seq]
            if (held_id, held_hash) != (event.event_id, event.hash):
                _refuse(i, event, _("the server holds another event at this sequence number (event %(id)s): the "
                                    "station's journal was changed after it was sent") % {"id": held_id}
                        if held_id != event.event_id else
                        _("event %(id)s is held here with another hash: it was changed after it was sent")
                        % {"id": event.event_id})
            duplicates += 1
            continue
        if event.seq != seq + 1:
            _refuse(i, event, _("sequence numbers %(first)d to %(last)d are missing (the server holds up to "
                                "%(head)d)") % {"first": seq + 1, "last": event.seq - 1, "head": journal.received_seq})
        if event.prev_hash != prev_hash:
            _refuse(i, event, _("its previous hash is not the hash of event %(before)d: the chain is broken there")
                    % {"before": seq})
        if chain_hash(event.prev_hash, event.body()) != event.hash:
            _refuse(i, event, _("its hash does not match its contents: the event was changed after it was recorded"))
        if event.event_id in taken or event.event_id in ids:
            _refuse(i, event, _("event id %(id)s is held already with another hash or sequence number")
                    % {"id": event.event_id})
        ids.add(event.event_id)
        new.append((i, event))
        seq, prev_hash = event.seq, event.hash
    return new, duplicates


def _held(station: Station, seqs: list[int]) -> dict[int, tuple[str, str]]:
    if not seqs:
        return {}
    rows = ReceivedEvent.objects.filter(station=station, seq__gte=min(seqs), seq__lte=max(seqs))
    return {seq: (event_id, hash_) for seq, event_id, hash_ in rows.values_list("seq", "event_id", "hash")}


def _taken_ids(event_ids: list[str]) -> set[str]:
    taken = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start:start + _CHUNK]
        taken.update(ReceivedEvent.objects.filter(event_id__in=chunk).values_list("event_id", flat=True))
    return taken


def _store(station: Station, new: list[tuple[int, Event]], via: str, now: datetime):
    rows = [ReceivedEvent(station=station, via=via, received_at=now, station_code=event.station,
                          **{name: getattr(event, name) for name in FIELDS if name != "station"})
            for _i, event in new]
    ReceivedEvent.objects.bulk_create(rows, batch_size=_CHUNK)


def verify_held(station: Station) -> Verification:
    """The station's events as this server holds them, walked as the station walks its journal:
    an event changed in the server's database after it was received is named by its seq."""
    held = ReceivedEvent.objects.filter(station=station).order_by("seq").iterator(chunk_size=_CHUNK)
    return verify_events(event.as_event() for event in held)


def _event_time(event: Event) -> datetime | None:
    return datetime.fromisoformat(event.recorded_at)


def _refuse(index: int, event: Event, reason: str):
    raise Refused(f"events[{index}]", _("sequence number %(seq)d: %(reason)s; nothing was received")
                  % {"seq": event.seq, "reason": reason}, status=409)


def _parsed(index: int, raw) -> Event:
    """One event as sent, its fields checked (types, lengths): Refused naming the field."""
    where = f"events[{index}]"
    if not isinstance(raw, dict):
        raise Refused(where, _("each event must be a JSON object"))
    seq = raw.get("seq")
    label = _("sequence number %d") % seq if isinstance(seq, int) and not isinstance(seq, bool) else where
    missing = [name for name in FIELDS if name not in raw]
    if missing:
        raise Refused(f"{where}.{missing[0]}", _("%(event)s: this field is required") % {"event": label})
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise Refused(f"{where}.seq", _("%(event)s: seq must be a whole number from 1") % {"event": label})
    for name, limit in _TEXT_LIMITS.items():
        value = raw[name]
        if not isinstance(value, str) or not value.strip() and name not in {"price_version", "package_id"} \
                or len(value) > limit:
            raise Refused(f"{where}.{name}", _("%(event)s: %(field)s must be text of at most %(limit)d characters")
                          % {"event": label, "field": name, "limit": limit})
    if not isinstance(raw["payload"], dict):
        raise Refused(f"{where}.payload", _("%(event)s: payload must be a JSON object") % {"event": label})
    if raw["mode"] not in (READY, EMERGENCY, DRILL):
        raise Refused(f"{where}.mode", _("%(event)s: mode must be one of %(modes)s")
                      % {"event": label, "modes": ", ".join((READY, EMERGENCY, DRILL))})
    for name in ("prev_hash", "hash"):
        if not isinstance(raw[name], str) or not _HASH.fullmatch(raw[name]):
            raise Refused(f"{where}.{name}", _("%(event)s: %(field)s must be 64 hexadecimal digits")
                          % {"event": label, "field": name})
    try:
        recorded = datetime.fromisoformat(raw["recorded_at"])
    except ValueError:
        recorded = None
    if recorded is None or recorded.tzinfo is None:
        raise Refused(f"{where}.recorded_at", _("%(event)s: recorded_at must be a date and time with its offset, "
                                                "such as 2026-12-06T08:30:00+00:00") % {"event": label})
    return Event(**{name: raw[name] for name in FIELDS})
