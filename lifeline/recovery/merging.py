"""Merge-back (回写): the received journal events into the HIS, exactly once, through the mapping's
merge-back section (lifeline.his.writer), after a person has decided every conflict.

    found = plan(now)                    # the dry run: what would be written, every conflict
    merge_run = run(user, now)           # writes, or refuses while a conflict is open

Invariants:
- Data is never silently worse: `plan` writes nothing to the HIS; it records what a person must
  decide as Conflict rows (a temporary patient the HIS may know, an invoice number the HIS used,
  a price the HIS changed during the downtime, stock that would go negative) and `run` refuses to
  write while one is open, naming how many of which kinds. A conflict found no more (handled in
  the HIS) is closed by the next plan; a decision stands while the conflict is found again.
- Per station, events are written in seq order, BATCH events per HIS transaction with their
  ledger rows (writer.apply); merged_at is set once the HIS committed. A run killed anywhere is
  continued by the next: events the HIS ledger holds already are marked merged, not written again.
- One run at a time (queued or running), held by the database (MergeRun.active): `queue`
  refuses another with 409, naming the run and who started it. A run renews its heartbeat per
  batch; one silent for STALE_AFTER, or whose process on this machine is gone (kill -9), is
  failed by `reap` (the worker's tick, the page, the next queue request), and a run declared
  stopped stops at its next batch, so two never write at once.
- Drill events (mode "drill") are never written: counted as excluded.
- A confirmed patient match: the temporary card is not created; every record of the downtime
  naming the temporary card names the HIS patient's card instead. A rejected one: the temporary
  patient is created as recorded.
"""
import logging
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lifeline.core import clock, processes
from lifeline.core.errors import Refused
from lifeline.core.worker import worker_name
from lifeline.his import mapping as his_mapping
from lifeline.his.writer import LEDGER_NAME, Change, LookupUnavailable, MergeRefused, Writer
from lifeline.recovery import receiving
from lifeline.recovery.models import Conflict, MergeRun, ReceivedEvent
from lifeline.recovery.records import UnknownEvent, as_dict, records_of
from lifeline.workstation.journal import DRILL

log = logging.getLogger("lifeline.recovery")
BATCH = 200  # events per HIS transaction: small enough to lose little to a kill, large enough to be fast
# a batch takes about a second and the plan of a day's events well under a minute: a run silent
# for this long has nobody carrying it out
STALE_AFTER = timedelta(minutes=5)
Progress = Callable[[MergeRun], None]


@dataclass
class MergePlan:
    """What a merge would write now (changes, in order, with their events) and what it found."""

    events: list[ReceivedEvent] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    in_ledger: list[ReceivedEvent] = field(default_factory=list)  # in the HIS already, not marked merged yet
    drill: int = 0  # drill events left out
    merged: int = 0  # events merged before
    conflicts: list[Conflict] = field(default_factory=list)  # those of the events to write, open or decided
    unchecked: list[str] = field(default_factory=list)  # lookups the mapping has not: checks not made

    @property
    def open(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.state == Conflict.State.OPEN]

    def counts(self) -> dict:
        records = Counter(kind for change in self.changes for kind, _fields in change.records)
        return {"events": len(self.changes), "records": dict(records), "drill": self.drill, "merged": self.merged,
                "in_ledger": len(self.in_ledger),
                "conflicts": dict(Counter(c.kind for c in self.conflicts)),
                "open": dict(Counter(c.kind for c in self.open)), "unchecked": self.unchecked}


def writer() -> Writer:
    """The writer for the HIS the snapshots read (LIFELINE_SNAPSHOT_MAPPING): one mapping file says
    how to read the HIS and how to write back into it."""
    if not settings.SNAPSHOT_MAPPING:
        raise Refused("mapping", _("No HIS mapping file is set (LIFELINE_SNAPSHOT_MAPPING): merge-back does not "
                                   "know the HIS"))
    try:
        return Writer(his_mapping.load(settings.SNAPSHOT_MAPPING))
    except (his_mapping.MappingInvalid, MergeRefused) as exc:
        raise Refused("mapping", str(exc)) from None


def plan(now, his: Writer | None = None) -> MergePlan:
    """The dry run: every event still to merge with its records, and the conflicts (recorded)."""
    his = his or writer()
    found = MergePlan(merged=ReceivedEvent.objects.filter(merged_at__isnull=False).count())
    pending = list(ReceivedEvent.objects.filter(merged_at__isnull=True).select_related("station")
                   .order_by("station_id", "seq"))
    _refuse_changed_journals({event.station for event in pending})
    found.drill = sum(1 for e in pending if e.mode == DRILL)
    pending = [e for e in pending if e.mode != DRILL]
    held = _applied(his, [e.event_id for e in pending])
    found.in_ledger = [e for e in pending if e.event_id in held]
    pending = [e for e in pending if e.event_id not in held]
    charges = _charges(pending)
    records = {}
    for event in pending:
        try:
            records[event.event_id] = records_of(event, charges=lambda station, no: charges.get((station, no)))
        except UnknownEvent as exc:
            raise Refused("event", str(exc)) from None
    checks = _Checks(his, found.unchecked)
    detected = checks.conflicts(pending, records)
    found.conflicts = _record_conflicts(pending, detected, now)
    cards = {c.detail["card_no"]: c.resolution["card_no"] for c in Conflict.objects.filter(
        kind=Conflict.Kind.PATIENT_MATCH, state=Conflict.State.CONFIRMED)}
    for event in pending:
        found.events.append(event)
        found.changes.append(Change(event.event_id, event.station.name, event.seq,
                                    _on_cards(records[event.event_id], cards)))
    return found


def run(user, now, dry_run: bool = False, progress: Progress | None = None, merge_run: MergeRun | None = None,
        batch: int = BATCH, listing: Callable[[MergePlan], None] | None = None) -> MergeRun:
    """Plan, then (unless `dry_run`) write in batches. Refused (the run's state) while a conflict
    is open. `merge_run`: a queued run to carry out (the worker's); else a new one is queued
    (Refused, 409, while another run is queued or running). `listing` is shown the plan before
    anything is written."""
    merge_run = merge_run or queue(user, now, dry_run)
    his = None
    try:
        _beat(merge_run, state=MergeRun.State.RUNNING, worker=worker_name())
        his = writer()
        found = plan(now, his)
        _beat(merge_run, total=len(found.changes), counts=found.counts())
        if listing:
            listing(found)
        if found.open:
            return _finish(merge_run, MergeRun.State.REFUSED, refusal(found.open), now)
        if dry_run:
            return _finish(merge_run, MergeRun.State.DONE, summary(found.counts()), now)
        his.ensure_ledger()
        _mark_merged([e.event_id for e in found.in_ledger], now)
        for start in range(0, len(found.changes), batch):
            changes = found.changes[start:start + batch]
            _beat(merge_run)  # still this run's turn? (declared stopped: RunStopped, nothing more written)
            his.apply(changes)
            _mark_merged([c.event_id for c in changes], now)
            _beat(merge_run, done=start + len(changes))
            if progress:
                progress(merge_run)
        return _finish(merge_run, MergeRun.State.DONE, summary(found.counts(), written=True), now)
    except RunStopped:
        log.warning("merge run %s was declared stopped; it stops here", merge_run.pk)
        merge_run.refresh_from_db()
        return merge_run
    except (Refused, MergeRefused) as exc:
        return _finish(merge_run, MergeRun.State.FAILED, str(exc), now)
    except Exception as exc:
        log.exception("merge run %s failed", merge_run.pk)
        _finish(merge_run, MergeRun.State.FAILED, str(exc) or type(exc).__name__, now)
        raise
    finally:
        if his is not None:
            his.dispose()


def queue(user, now, dry_run: bool = False) -> MergeRun:
    """A new run, waiting for the worker (or carried out at once by `run`). Runs nobody carries
    out any more are failed first; then, while another run is queued or running, Refused (409)
    naming it and who started it. The unique `active` decides between two requests at once."""
    reap(now)
    try:
        with transaction.atomic():
            return MergeRun.objects.create(started_by=user, started_at=now, heartbeat_at=now, dry_run=dry_run)
    except IntegrityError:
        busy = MergeRun.objects.select_related("started_by").filter(active=True).first()
        if busy is None:  # it finished in between: the caller may simply try again
            raise Refused("run", _("Another run was just started or finished; try again."), status=409) from None
        raise Refused("run", busy_message(busy), status=409) from None


def busy_message(busy: MergeRun) -> str:
    """Why another run cannot start now: the run queued or running and who started it."""
    who = (busy.started_by.get_full_name() or busy.started_by.username) if busy.started_by \
        else _("the command line (lifeline merge)")
    values = {"run": busy.pk, "who": who, "at": timezone.localtime(busy.started_at).strftime("%m-%d %H:%M"),
              "state": busy.get_state_display()}
    if busy.dry_run:
        return _("Dry run #%(run)d, started by %(who)s at %(at)s, is %(state)s: one run at a time; wait for it "
                 "to finish.") % values
    return _("Merge #%(run)d, started by %(who)s at %(at)s, is %(state)s: one run at a time; wait for it to "
             "finish.") % values


def reap(now) -> list[MergeRun]:
    """Fail the runs nobody carries out any more: queued or running without a sign of life for
    STALE_AFTER, or running in a process of this machine that is gone. Each is failed only if
    its heartbeat is still the one read (a run that just beat again is left alone)."""
    stopped = []
    for merge_run in MergeRun.objects.filter(active=True):
        beat = merge_run.heartbeat_at or merge_run.started_at
        if merge_run.state == MergeRun.State.QUEUED:
            if now - beat <= STALE_AFTER:
                continue
            message = _("No worker took the run up within %(minutes)d minutes (is lifeline worker running?); "
                        "queue it again.") % {"minutes": STALE_AFTER.total_seconds() // 60}
        elif now - beat > STALE_AFTER or not _process_alive(merge_run.worker):
            message = _("The worker stopped (last sign of life %(at)s); run again: the HIS ledger continues "
                        "where it stopped.") % {"at": timezone.localtime(beat).strftime("%m-%d %H:%M:%S")}
        else:
            continue
        if MergeRun.objects.filter(pk=merge_run.pk, active=True, heartbeat_at=merge_run.heartbeat_at).update(
                state=MergeRun.State.FAILED, active=None, finished_at=now, message=message):
            log.warning("merge run %s failed: %s", merge_run.pk, message)
            merge_run.refresh_from_db()
            stopped.append(merge_run)
    return stopped


def refusal(open_conflicts: list[Conflict]) -> str:
    kinds = Counter(c.get_kind_display() for c in open_conflicts)
    return ngettext("Nothing was written: %(count)d conflict is open (%(kinds)s). Decide it first.",
                    "Nothing was written: %(count)d conflicts are open (%(kinds)s). Decide them first.",
                    len(open_conflicts)) % {
        "count": len(open_conflicts), "kinds": _(", ").join(f"{kind} {n}" for kind, n in sorted(kinds.items()))}


def summary(counts: dict, written: bool = False) -> str:
    """The run's result in a line: what would be written (a dry run) or what was."""
    values = {"events": counts.get("events", 0), "records": sum(counts.get("records", {}).values()),
              "merged": counts.get("merged", 0), "drill": counts.get("drill", 0)}
    if written:
        text = _("%(events)d events merged (%(records)d records), %(merged)d merged before, %(drill)d drill events "
                 "excluded") % values
    else:
        text = _("%(events)d events to merge (%(records)d records), %(merged)d merged before, %(drill)d drill "
                 "events excluded") % values
    if counts.get("unchecked"):
        text += _("; not checked (the mapping has no lookup): %(names)s") % {"names": ", ".join(counts["unchecked"])}
    return text


def decide(conflict: Conflict, user, now, decision: str, card_no: str = "") -> Conflict:
    """A person's decision on an open conflict: `confirm` a patient match as the HIS patient
    `card_no` (one of the candidates), `reject` it (a new patient), or `accept` another kind
    (written as recorded). Refused, naming the field, for anything else; nothing changes then."""
    allowed = {Conflict.Kind.PATIENT_MATCH: ("confirm", "reject")}.get(conflict.kind, ("accept",))
    if decision not in allowed:
        raise Refused("decision", _("%(value)s is not one of %(choices)s") % {"value": decision,
                                                                              "choices": ", ".join(allowed)})
    if conflict.event.merged_at:
        raise Refused("decision", _("The event was merged already: the decision can no longer change"), status=409)
    resolution = {}
    if decision == "confirm":
        candidates = [c["card_no"] for c in conflict.detail.get("candidates", [])]
        if card_no not in candidates:
            raise Refused("card_no", _("Choose one of the HIS patients found: %(cards)s") % {
                "cards": ", ".join(candidates)})
        resolution = {"card_no": card_no}
    conflict.state = {"confirm": Conflict.State.CONFIRMED, "reject": Conflict.State.REJECTED,
                      "accept": Conflict.State.ACCEPTED}[decision]
    conflict.decided_by, conflict.decided_at, conflict.resolution = user, now, resolution
    conflict.save()
    return conflict


# -- inside -------------------------------------------------------------------------------------


class _Checks:
    """The conflict checks, asking the HIS through the mapping's lookups (each answer kept: one
    item's price is asked once per plan). A lookup the mapping has not is named in `unchecked`."""

    def __init__(self, his: Writer, unchecked: list[str]):
        self.his, self.unchecked, self.answers = his, unchecked, {}

    def ask(self, lookup: str, /, **binds) -> list[dict] | None:
        key = (lookup, *sorted(binds.items()))
        if key not in self.answers:
            try:
                self.answers[key] = self.his.lookup(lookup, **binds)
            except LookupUnavailable:
                if lookup not in self.unchecked:
                    self.unchecked.append(lookup)
                self.answers[key] = None
        return self.answers[key]

    def conflicts(self, events: list[ReceivedEvent], records: dict) -> list[tuple]:
        """(event, kind, key, detail) of each conflict found, in event order."""
        found, stock = [], {}
        for event in events:
            if event.kind == "new_patient":
                found += self.patient(event)
            elif event.kind == "charge":
                found += self.invoice(event) + self.prices(event)
            for kind, record in records[event.event_id]:
                if kind == "dispensing":
                    found += self.stock(event, record, stock)
        return found

    def patient(self, event) -> list[tuple]:
        p = event.payload
        candidates = {}
        by_id = self.ask("patient_by_id_card", id_card_no=p["id_card_no"]) if p.get("id_card_no") else []
        by_name = self.ask("patient_by_name_birth", name=p["name"], birth_date=p["birth_date"]) or []
        for how, rows in (("id_card_no", by_id or []), ("name_birth", by_name)):
            for row in rows:
                candidate = candidates.setdefault(row["card_no"], {
                    "card_no": row["card_no"], "name": row["name"], "birth_date": str(row["birth_date"]), "by": []})
                candidate["by"].append(how)
        if not candidates:
            return []
        detail = {"card_no": p["card_no"], "name": p["name"], "birth_date": p["birth_date"],
                  "id_card_no": p.get("id_card_no"), "candidates": list(candidates.values())}
        return [(event, Conflict.Kind.PATIENT_MATCH, p["card_no"], detail)]

    def invoice(self, event) -> list[tuple]:
        invoice_no = event.payload["invoice_no"]
        rows = self.ask("invoice_used", invoice_no=invoice_no)
        if not rows:
            return []
        used = [{"card_no": r.get("card_no"), "cashier_code": r.get("cashier_code"),
                 "charged_at": str(r["charged_at"]) if r.get("charged_at") else None} for r in rows]
        return [(event, Conflict.Kind.INVOICE_USED, str(invoice_no), {"invoice_no": invoice_no, "his_rows": used})]

    def prices(self, event) -> list[tuple]:
        found = []
        for line in event.payload["lines"]:
            rows = self.ask("price", item_kind=line["item_kind"], item_code=line["item_code"])
            if rows is None:
                continue
            his_prices = sorted({Decimal(r["unit_price"]) for r in rows})
            if his_prices != [Decimal(line["unit_price"])]:
                key = f"{line['item_kind']}/{line['item_code']}"
                found.append((event, Conflict.Kind.PRICE_CHANGED, key, {
                    "item_kind": line["item_kind"], "item_code": line["item_code"], "name": line.get("name"),
                    "unit_price": line["unit_price"], "his_prices": [str(p) for p in his_prices]}))
        return found

    def stock(self, event, record: dict, stock: dict) -> list[tuple]:
        """Stock left after this dispensing and those before it in the plan (per pharmacy and
        drug); the event that first takes it below zero carries the conflict."""
        where = (record["pharmacy_code"], record["drug_code"])
        if where not in stock:
            rows = self.ask("stock", pharmacy_code=where[0], drug_code=where[1])
            if rows is None:
                stock[where] = None
            else:
                his = sum((Decimal(r["quantity"]) for r in rows), Decimal(0))
                stock[where] = {"his": his, "dispensed": Decimal(0), "reported": False}
        held = stock[where]
        if held is None:
            return []
        held["dispensed"] += Decimal(record["quantity"])
        if held["reported"] or held["his"] - held["dispensed"] >= 0:
            return []
        held["reported"] = True
        return [(event, Conflict.Kind.STOCK_NEGATIVE, "/".join(where), {
            "pharmacy_code": where[0], "drug_code": where[1], "his_stock": str(held["his"]),
            "dispensed": str(held["dispensed"]), "left": str(held["his"] - held["dispensed"])})]


def _refuse_changed_journals(stations):
    """Nothing is written from a journal whose events changed in this server's database after they
    were received (the chain no longer verifies): the HIS would get what no station recorded."""
    for station in sorted(stations, key=lambda s: s.name):
        checked = receiving.verify_held(station)
        if not checked.ok:
            raise Refused("events", _("The journal of %(station)s held here does not verify at sequence number "
                                      "%(seq)s: it was changed after it was received. Nothing was written; import "
                                      "the station's journal file again or call IT") % {
                "station": station.name, "seq": checked.first_bad}, status=409)


def _applied(his: Writer, event_ids: list[str]) -> set[str]:
    """The events the HIS ledger holds; none when there is no ledger yet (nothing merged ever: a
    dry run creates nothing in the HIS, not even the ledger)."""
    if not sa.inspect(his.engine).has_table(LEDGER_NAME):
        return set()
    return his.applied(event_ids)


def _charges(events: list[ReceivedEvent]) -> dict:
    """The charges the voids and refunds among `events` cancel, by (station, charge number)."""
    wanted = {(e.station_id, e.payload.get("charge_no")) for e in events if e.kind in ("void", "refund")}
    found = {}
    for station_id in {s for s, _no in wanted}:
        numbers = [no for s, no in wanted if s == station_id]
        for charge in ReceivedEvent.objects.select_related("station").filter(
                station_id=station_id, kind="charge", payload__charge_no__in=numbers):
            found[(charge.station.name, charge.payload["charge_no"])] = as_dict(charge)
    return found


def _on_cards(records: list[tuple[str, dict]], cards: dict) -> list[tuple[str, dict]]:
    """The records with confirmed temporary cards replaced by the HIS patients' cards; the new
    patient record of a confirmed temporary card left out (the HIS knows the patient)."""
    if not cards:
        return records
    return [(kind, {**fields, "card_no": cards.get(fields.get("card_no"), fields.get("card_no"))})
            for kind, fields in records if not (kind == "new_patient" and fields["card_no"] in cards)]


@transaction.atomic
def _record_conflicts(events: list[ReceivedEvent], detected: list[tuple], now) -> list[Conflict]:
    """Store what this plan found: new conflicts open, those found again updated (their decision
    stands), open ones of these events found no more deleted (handled in the HIS meanwhile)."""
    existing = {(c.event_id, c.kind, c.key): c for c in Conflict.objects.filter(event__merged_at__isnull=True)}
    kept = []
    for event, kind, key, detail in detected:
        conflict = existing.pop((event.id, kind, key), None)
        if conflict is None:
            conflict = Conflict.objects.create(event=event, kind=kind, key=key, detail=detail, found_at=now)
        elif conflict.detail != detail:
            conflict.detail = detail
            conflict.save(update_fields=["detail"])
        conflict.event = event
        kept.append(conflict)
    for gone in existing.values():
        if gone.state == Conflict.State.OPEN:
            gone.delete()
    return kept


def _mark_merged(event_ids: list[str], now):
    for start in range(0, len(event_ids), 1000):
        ReceivedEvent.objects.filter(event_id__in=event_ids[start:start + 1000], merged_at__isnull=True) \
            .update(merged_at=now)


class RunStopped(Exception):
    """The run was declared stopped (reap) while it still ran: it must write no more."""


def _process_alive(worker: str) -> bool:
    """Whether the process `host:pid` still runs; a process of another machine is taken as alive
    (only its heartbeat tells)."""
    host, _sep, pid = worker.rpartition(":")
    return host != socket.gethostname() or not pid.isdigit() or processes.alive(int(pid))


def _beat(merge_run: MergeRun, **values):
    """Progress and a sign of life on the run's row, visible to the page at once (no audit entry
    per batch). RunStopped when the run is no longer active (declared stopped by `reap`)."""
    values["heartbeat_at"] = clock.now()
    for name, value in values.items():
        setattr(merge_run, name, value)
    if not MergeRun.objects.filter(pk=merge_run.pk, active=True).update(**values):
        raise RunStopped(merge_run.pk)


def _finish(merge_run: MergeRun, state: str, message: str, now) -> MergeRun:
    """The run's end, unless it was declared stopped meanwhile (then it stays as `reap` left it)."""
    if MergeRun.objects.filter(pk=merge_run.pk, active=True).update(state=state, message=message, finished_at=now,
                                                                    active=None):
        merge_run.state, merge_run.message, merge_run.finished_at, merge_run.active = state, message, now, None
    else:
        merge_run.refresh_from_db()
    return merge_run
