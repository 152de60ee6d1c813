"""Merge-back into a demo HIS (SQLite here; PostgreSQL and MariaDB in test_merge_kill.py): the dry
run lists what would be written and every conflict and writes nothing; nothing is written while
a conflict is open; decisions; exactly once; drills never reach the HIS."""
import signal
import socket
import subprocess
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.core.errors import Refused
from lifeline.his.writer import LEDGER_NAME
from lifeline.recovery import merging
from lifeline.recovery.models import Conflict, MergeRun, ReceivedEvent
from tests.recovery.merge_data import EMERGENCY_TABLES, His, Journal, built, clean_day, conflicted, facts, his, receive  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def rows(his: His) -> dict:
    return {table: his.query(f"SELECT COUNT(*) FROM {{{table}}} WHERE {{EMERGENCY_EVENT_ID}} IS NOT NULL")[0][0]
            for table in EMERGENCY_TABLES}


def has_ledger(his: His) -> bool:
    engine = his.engine()
    try:
        return sa.inspect(engine).has_table(LEDGER_NAME)
    finally:
        engine.dispose()


def test_dry_run_lists_every_record_and_conflict_and_writes_nothing(his, conflicted, clock):
    found = merging.plan(clock.now())
    counts = found.counts()
    # per station: 3 new patients, 3 visits, 3 prescriptions, 4 charges of 1-2 lines, 3 + 1 dispensings,
    # a refund (1 line), mode changes and the drill left out.
    assert counts["records"] == {"new_patient": 7, "registration": 7, "prescription": 6, "charge": 17,
                                 "dispensing": 9}
    assert counts["drill"] == 2 * 3 and counts["merged"] == 0
    assert Counter(c.kind for c in found.open) == {"patient_match": 1, "invoice_used": 1, "stock_negative": 1,
                                                   "price_changed": 9}  # every charge of the item repriced
    assert {(c.kind, c.key) for c in found.open if c.kind != "price_changed"} == {
        ("patient_match", conflicted["card"]), ("invoice_used", str(conflicted["invoice"])),
        ("stock_negative", f"{facts(his).pharmacy}/{conflicted['drug']}")}
    assert {c.key for c in found.open if c.kind == "price_changed"} == {f"price_item/{facts(his).item[0]}"}
    match = next(c for c in found.open if c.kind == "patient_match")
    assert [c["by"] for c in match.detail["candidates"]] == [["id_card_no", "name_birth"]]
    assert rows(his) == dict.fromkeys(EMERGENCY_TABLES, 0) and not has_ledger(his)

    merge_run = merging.run(None, clock.now(), dry_run=True)
    assert merge_run.state == MergeRun.State.REFUSED
    assert Conflict.objects.filter(state="open").count() == len(found.open)  # found again: not doubled


def test_nothing_is_written_while_a_conflict_is_open(his, conflicted, clock):
    merge_run = merging.run(None, clock.now())
    assert merge_run.state == MergeRun.State.REFUSED
    open_count = Conflict.objects.filter(state="open").count()
    assert f"{open_count} conflicts are open" in merge_run.message or f"{open_count} 项冲突" in merge_run.message
    assert rows(his) == dict.fromkeys(EMERGENCY_TABLES, 0)
    assert not ReceivedEvent.objects.filter(merged_at__isnull=False).exists()


def decide_all(user, clock, card=None):
    merging.plan(clock.now())
    for conflict in Conflict.objects.filter(state="open"):
        if conflict.kind == "patient_match":
            if card:
                merging.decide(conflict, user, clock.now(), "confirm", card)
            else:
                merging.decide(conflict, user, clock.now(), "reject")
        else:
            merging.decide(conflict, user, clock.now(), "accept")


def test_confirmed_the_temporary_card_s_records_are_the_his_patient_s(his, conflicted, clock, make_user):
    commander = make_user("zhang")
    real = facts(his).patient["card_no"]
    decide_all(commander, clock, card=real)
    merge_run = merging.run(commander, clock.now())
    assert merge_run.state == MergeRun.State.DONE, merge_run.message
    assert his.query("SELECT COUNT(*) FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} = :card",
                     card=conflicted["card"]) == [(0,)]
    assert his.query("SELECT {PATIENT_ID} FROM {OUTP_REGISTER} WHERE {VISIT_NO} = :visit",
                     visit=conflicted["visit"]) == [(real,)]
    assert his.query("SELECT {PATIENT_ID}, {PRICE} FROM {OUTP_CHARGE} WHERE {VISIT_NO} = :visit",
                     visit=conflicted["visit"])[0][0] == real
    assert not his.query("SELECT 1 FROM {OUTP_CHARGE} WHERE {PATIENT_ID} = :card", card=conflicted["card"])
    decided = Conflict.objects.get(kind="patient_match")
    assert (decided.state, decided.decided_by, decided.resolution) == ("confirmed", commander, {"card_no": real})


def test_rejected_the_temporary_patient_is_created(his, conflicted, clock, make_user):
    decide_all(make_user("zhang"), clock)
    assert merging.run(None, clock.now()).state == MergeRun.State.DONE
    assert his.query("SELECT {NAME} FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} = :card",
                     card=conflicted["card"]) == [(facts(his).patient["name"],)]


def test_a_confirmation_names_one_of_the_candidates(his, conflicted, clock, make_user):
    merging.plan(clock.now())
    match = Conflict.objects.get(kind="patient_match")
    with pytest.raises(Refused) as refused:
        merging.decide(match, make_user("zhang"), clock.now(), "confirm", "NOT-A-CANDIDATE")
    assert refused.value.field == "card_no"
    with pytest.raises(Refused):
        merging.decide(Conflict.objects.get(kind="invoice_used"), None, clock.now(), "confirm")
    assert Conflict.objects.filter(state="open").count() == Conflict.objects.count()


def test_a_conflict_handled_in_the_his_is_found_no_more(his, conflicted, clock):
    merging.plan(clock.now())
    assert Conflict.objects.filter(kind="price_changed").exists()
    his.execute("UPDATE {PRICE_LIST} SET {PRICE} = {PRICE} - 1 WHERE {ITEM_CODE} = :code", code=facts(his).item[0])
    merging.plan(clock.now())
    assert not Conflict.objects.filter(kind="price_changed").exists()


def test_merged_twice_nothing_doubled_and_drills_never_written(his, clean_day, clock):
    first = merging.run(None, clock.now())
    assert (first.state, first.done, first.total) == (MergeRun.State.DONE, first.total, first.total)
    written = his.emergency_rows()
    assert rows(his) == {"OUTP_REGISTER": 6, "OUTP_CHARGE": 16, "OUTP_PRESC": 6, "OUTP_DISPENSE": 8}
    assert len(written["PAT_MASTER_INDEX"]) == 6  # the drill's patient is not among them
    assert not his.query("SELECT 1 FROM {PAT_MASTER_INDEX} WHERE {NAME} = '演练患者'")
    assert ReceivedEvent.objects.filter(merged_at__isnull=True).exclude(mode="drill").count() == 0

    second = merging.run(None, clock.now())
    assert (second.state, second.total, second.counts["drill"]) == (MergeRun.State.DONE, 0, 6)
    assert his.emergency_rows() == written


def test_an_event_changed_in_the_servers_database_stops_the_merge(his, clean_day, clock):
    """The server walks each station's chain again before it writes: a payload edited after it was
    received (a price lowered in Lifeline's database) stops the merge, naming station and seq."""
    charge = ReceivedEvent.objects.filter(kind="charge").order_by("station__name", "seq").first()
    charge.payload = {**charge.payload, "total": "0.01"}
    charge.save(update_fields=["payload"])
    with pytest.raises(Refused) as refused:
        merging.plan(clock.now())
    assert refused.value.field == "events" and refused.value.status == 409
    assert charge.station.name in refused.value.message and f"{charge.seq}" in refused.value.message
    merge_run = merging.run(None, clock.now())
    assert merge_run.state == MergeRun.State.FAILED and not has_ledger(his) and not any(his.emergency_rows().values())


def test_a_run_killed_after_the_his_committed_is_marked_not_rewritten(his, clean_day, clock):
    """The HIS committed a batch but Lifeline never heard (killed between): the next run reads the
    ledger, marks those events merged and writes only the rest."""
    first = merging.plan(clock.now())
    writer = merging.writer()
    writer.ensure_ledger()
    writer.apply(first.changes[:5])
    writer.dispose()
    again = merging.plan(clock.now())
    assert len(again.in_ledger) == 5 and len(again.changes) == len(first.changes) - 5
    merge_run = merging.run(None, clock.now())
    assert merge_run.counts["in_ledger"] == 5
    assert rows(his) == {"OUTP_REGISTER": 6, "OUTP_CHARGE": 16, "OUTP_PRESC": 6, "OUTP_DISPENSE": 8}


def test_without_a_mapping_merge_back_is_refused(settings, clock, db):
    settings.SNAPSHOT_MAPPING = ""
    merge_run = merging.run(None, clock.now(), dry_run=True)
    assert merge_run.state == MergeRun.State.FAILED and "LIFELINE_SNAPSHOT_MAPPING" in merge_run.message


def test_lifeline_merge_prints_the_conflicts_and_fails_while_one_is_open(his, conflicted, clock, capsys):
    with pytest.raises(CommandError, match="12"):
        call_command("merge")
    printed = capsys.readouterr().out
    assert "应急收费：17 条记录" in printed
    assert f"冲突［未决］临时患者与 HIS 患者相符：收费-03 第 1 条 {conflicted['card']}" in printed
    assert rows(his) == dict.fromkeys(EMERGENCY_TABLES, 0)


def test_lifeline_merge_dry_run_lists_every_event_s_records(his, clean_day, clock, capsys):
    call_command("merge", "--dry-run")
    printed = capsys.readouterr().out
    first_charge = ReceivedEvent.objects.filter(station__name="收费-01", kind="charge").order_by("seq").first()
    assert f"收费-01 第 {first_charge.seq} 条 charge：应急收费 ×2" in printed
    assert "收费-02 第 1 条 mode_changed：无记录（仅记入回写台账）" in printed
    assert rows(his) == dict.fromkeys(EMERGENCY_TABLES, 0)


def test_an_item_the_his_no_longer_prices_is_a_conflict(his, clock, client, make_user):
    f = facts(his)
    j = Journal("收费-09", 830000)
    card = j.new_patient("王五", "1988-08-08")
    j.charge(card, j.register(card, f.schedule), 70901, [("price_item", ("GONE-1", "5.00", "丙"), 1)])
    receive("收费-09", j.events)
    [gone] = merging.plan(clock.now()).open
    assert (gone.kind, gone.key, gone.detail["his_prices"]) == ("price_changed", "price_item/GONE-1", [])
    client.force_login(make_user("zhang", Role.COMMANDER))
    assert "收费单价 5.00，HIS 价表中已无该项目" in client.get(reverse("merge:page")).content.decode()


# -- one run at a time; a run whose worker died ---------------------------------------------------


class Killed(BaseException):
    """kill -9 as the run sees it: nothing after it runs (no `except Exception` catches it)."""


def test_one_run_at_a_time_held_by_the_database(his, clean_day, clock, make_user):
    zhang = make_user("zhang")
    first = merging.queue(zhang, clock.now(), dry_run=True)
    with pytest.raises(Refused) as refused:
        merging.queue(make_user("wang"), clock.now())
    assert refused.value.status == 409
    message = refused.value.message
    assert f"试运行 #{first.pk}（zhang 于" in message and "同一时间只能有一个回写任务" in message
    with pytest.raises(IntegrityError), transaction.atomic():  # not only the function: the database refuses
        MergeRun.objects.create(dry_run=False)
    with pytest.raises(CommandError, match=f"试运行 #{first.pk}（zhang 于"):
        call_command("merge")
    assert MergeRun.objects.count() == 1 and rows(his) == dict.fromkeys(EMERGENCY_TABLES, 0)

    done = merging.run(zhang, clock.now(), dry_run=True, merge_run=first)
    assert (done.state, done.active) == (MergeRun.State.DONE, None)
    assert merging.run(None, clock.now()).state == MergeRun.State.DONE  # the next one may start


def test_a_run_whose_worker_died_is_failed_and_the_next_one_finishes_it_exactly_once(his, clean_day, clock,
                                                                                    make_user):
    zhang = make_user("zhang")
    started = clock.now()
    batches = []

    def die_after_two_batches(merge_run):
        batches.append(merge_run.heartbeat_at)
        clock.advance(minutes=1)
        if len(batches) == 2:
            raise Killed

    with pytest.raises(Killed):
        merging.run(zhang, started, batch=5, progress=die_after_two_batches)
    dead = MergeRun.objects.get()
    assert (dead.state, dead.done, dead.heartbeat_at) == (MergeRun.State.RUNNING, 10, batches[-1])
    assert batches == [started, started + timedelta(minutes=1)]  # a sign of life per batch
    assert len(his.emergency_rows()["LEDGER"]) == 10

    with pytest.raises(Refused, match=f"回写 #{dead.pk}（zhang 于"):  # 1 minute silent: it may still be working
        merging.queue(None, clock.now())
    clock.advance(minutes=5)  # 6 minutes without a sign of life
    again = merging.run(None, clock.now())
    dead.refresh_from_db()
    assert (dead.state, dead.finished_at) == (MergeRun.State.FAILED, clock.now())
    assert "后台进程已中断" in dead.message and "从中断处继续" in dead.message
    assert (again.state, again.counts["merged"], again.total) == (MergeRun.State.DONE, 10, again.total)
    assert rows(his) == {"OUTP_REGISTER": 6, "OUTP_CHARGE": 16, "OUTP_PRESC": 6, "OUTP_DISPENSE": 8}
    ledger = his.emergency_rows()["LEDGER"]
    assert len(ledger) == len(set(ledger)) == ReceivedEvent.objects.exclude(mode="drill").count()


def test_a_run_whose_process_is_gone_is_failed_at_once_and_a_declared_stopped_run_writes_no_more(
        his, clean_day, clock):
    gone = subprocess.Popen(["sleep", "60"])
    gone.send_signal(signal.SIGKILL)
    gone.wait()
    run = merging.queue(None, clock.now())
    MergeRun.objects.filter(pk=run.pk).update(state=MergeRun.State.RUNNING, worker=f"{socket.gethostname()}:{gone.pid}")
    [stopped] = merging.reap(clock.now())  # no clock jump: the process is known gone
    assert (stopped.pk, stopped.state) == (run.pk, MergeRun.State.FAILED)

    # a run declared stopped while it still works (its worker frozen for minutes) stops at its next batch
    def frozen_then_declared_stopped(merge_run):
        merging.reap(clock.advance(minutes=6))  # what the page or another worker does meanwhile

    slow = merging.run(None, clock.now(), batch=5, progress=frozen_then_declared_stopped)
    assert (slow.state, slow.done) == (MergeRun.State.FAILED, 5)
    assert "后台进程已中断" in slow.message
    assert len(his.emergency_rows()["LEDGER"]) == 5  # the one batch written before; none after
