"""The merge-back page: the commander queues a dry run and a merge (the worker carries them out),
decides conflicts (bad decisions refused with the field named, nothing changed), and every
decision is in the audit log."""
import pytest
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.recovery import tasks
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
