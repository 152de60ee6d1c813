"""The merge-back page: the commander queues a dry run and a merge (the worker carries them out),
decides conflicts (bad decisions refused with the field named, nothing changed), and every
decision is in the audit log."""
import pytest
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.recovery import merging, tasks
from lifeline.recovery.models import Conflict, MergeRun
from tests.recovery.merge_data import built, clean_day, conflicted, facts, his  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # the worker's thread sees what the test wrote


@pytest.fixture
def commander(client, make_user):
    user = make_user("zhang", Role.COMMANDER)
    client.force_login(user)
    return user


def work(clock) -> MergeRun:
    """What the worker does: claim the queued run and carry it out (its thread joined)."""
    thread = tasks.run_queued_merge(clock.now())
    assert thread is not None, "no run was queued"
    thread.join(timeout=120)
    return MergeRun.objects.order_by("-id").first()


def test_the_commander_dry_runs_decides_and_merges(client, commander, his, conflicted, clock):
    page = client.get(reverse("merge:page"))
    assert page.status_code == 200 and "回写" in page.content.decode()

    client.post(reverse("merge:start"), {"dry_run": "1"})
    assert MergeRun.objects.get().state == MergeRun.State.QUEUED
    assert 'http-equiv="refresh"' in client.get(reverse("merge:page")).content.decode()  # progress while it runs
    dry = work(clock)
    assert (dry.dry_run, dry.state, dry.started_by) == (True, MergeRun.State.REFUSED, commander)
    text = client.get(reverse("merge:page")).content.decode()
    assert 'http-equiv="refresh"' not in text
    assert f'data-conflict="patient_match" data-key="{conflicted["card"]}"' in text
    assert "临时患者与 HIS 患者相符" in text and "试运行" in text

    match = Conflict.objects.get(kind="patient_match")
    response = client.post(reverse("merge:decide", args=[match.pk]), {"decision": "confirm", "card_no": "0000000299"},
                           follow=True)
    assert "HIS 就诊卡号" in response.content.decode() or "HIS card number" in response.content.decode()
    match.refresh_from_db()
    assert match.state == Conflict.State.OPEN

    real = facts(his).patient["card_no"]
    client.post(reverse("merge:decide", args=[match.pk]), {"decision": "confirm", "card_no": real})
    for kind in ("invoice_used", "price_changed", "stock_negative"):
        client.post(reverse("merge:accept_all", args=[kind]))
    assert not Conflict.objects.filter(state="open").exists()
    decided = AuditEntry.objects.filter(object_type="recovery.conflict", object_id=str(match.pk), actor=commander)
    assert decided.exists()

    client.post(reverse("merge:start"))
    merged = work(clock)
    assert (merged.dry_run, merged.state, merged.done) == (False, MergeRun.State.DONE, merged.total)
    assert his.query("SELECT {PATIENT_ID} FROM {OUTP_REGISTER} WHERE {VISIT_NO} = :visit",
                     visit=conflicted["visit"]) == [(real,)]
    assert f'data-run="{merged.pk}" data-state="done"' in client.get(reverse("merge:page")).content.decode()


def test_a_decision_of_the_wrong_kind_changes_nothing(client, commander, his, conflicted, clock):
    client.post(reverse("merge:start"), {"dry_run": "1"})
    work(clock)
    invoice = Conflict.objects.get(kind="invoice_used")
    response = client.post(reverse("merge:decide", args=[invoice.pk]), {"decision": "reject"}, follow=True)
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.state == Conflict.State.OPEN
    assert client.post(reverse("merge:accept_all", args=["patient_match"]), follow=True).status_code == 200
    assert Conflict.objects.get(kind="patient_match").state == Conflict.State.OPEN


def test_a_second_run_is_refused_while_one_runs_and_a_dead_worker_s_run_is_failed(client, commander, his, clean_day,
                                                                                 clock, make_user):
    client.post(reverse("merge:start"), {"dry_run": "1"})
    queued = MergeRun.objects.get()
    other = client.__class__()
    other.force_login(make_user("wang", Role.COMMANDER))
    refused = other.post(reverse("merge:start"))
    text = refused.content.decode()
    assert refused.status_code == 409
    assert f"试运行 #{queued.pk}（zhang 于" in text and "同一时间只能有一个回写任务" in text
    assert f'url={reverse("merge:page")}' in text  # the refreshing page reloads the page, not the POST
    assert MergeRun.objects.count() == 1

    # a worker claimed it and was killed with kill -9: its heartbeat stops
    MergeRun.objects.filter(pk=queued.pk).update(state=MergeRun.State.RUNNING, worker="another-host:4242",
                                                 heartbeat_at=clock.now())
    assert 'http-equiv="refresh"' in client.get(reverse("merge:page")).content.decode()
    clock.advance(minutes=6)
    text = client.get(reverse("merge:page")).content.decode()
    assert 'http-equiv="refresh"' not in text  # the page stops waiting
    assert f'data-run="{queued.pk}" data-state="failed"' in text and "后台进程已中断" in text

    assert client.post(reverse("merge:start")).status_code == 302  # run again: it continues
    merged = work(clock)
    assert (merged.dry_run, merged.state, merged.done) == (False, MergeRun.State.DONE, merged.total)


def test_the_worker_fails_a_run_it_no_longer_hears_from(his, clean_day, clock):
    stale = merging.queue(None, clock.now())
    MergeRun.objects.filter(pk=stale.pk).update(state=MergeRun.State.RUNNING, worker="another-host:4242")
    clock.advance(minutes=6)
    assert tasks.run_queued_merge(clock.now()) is None  # nothing queued; the stale run failed on the tick
    stale.refresh_from_db()
    assert stale.state == MergeRun.State.FAILED and "后台进程已中断" in stale.message
