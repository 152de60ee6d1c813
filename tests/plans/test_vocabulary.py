"""Paper and screen say the same words (plans.vocabulary): the printed binder names the escalation
steps, the command centre, a timer's condition and the labels of a duty card as the incident
screens, the plan pages and the plan simulation do."""
import io
import re

import pytest
from pypdf import PdfReader

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Timer
from lifeline.plans import services
from lifeline.plans.printing import render_binder
from lifeline.plans.simulate import simulate
from lifeline.plans.vocabulary import ESCALATION_STEPS, SCOPES, TERMS, UNLESS, in_language
from tests.incidents.conftest import load_seed, t0  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    """Text without white space: PDF text breaks lines wherever the page is full."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def his(load_seed):
    """Seed 003 (a Chinese plan with the default escalation chain), active; returns its content."""
    return services.active_version(load_seed("003")).content


@pytest.fixture
def paper(his) -> str:
    reader = PdfReader(io.BytesIO(render_binder(his, "pdf")))
    return flat("\n".join(page.extract_text() for page in reader.pages))


def test_the_binder_pages_the_escalation_chain_as_the_incident_screen_does(his, paper, t0):
    """An open incident's escalation timers say whom they page; the binder says the same chain."""
    assert his.language == "zh-hans" and his.escalation.chain == ["on_duty", "backup", "group_lead", "command_centre"]
    incident = lifecycle.open_incident(plan_id=his.id, title="HIS 全部瘫痪", scope="whole")
    chain = incident.timers.filter(kind=Timer.Kind.ACK_ESCALATION).exclude(key__startswith="repeat:")
    screen = [t.action["text"] for t in chain.order_by("due_at")]
    assert screen == ["未确认：呼叫 备用值班人员", "未确认：呼叫 值班工作组组长", "未确认：呼叫 指挥中心"]

    command_centre = next(g.name for g in his.groups if g.kind == "command")
    assert f"依次通知：值班人员→备用值班人员→值班工作组组长→指挥中心（{command_centre}）。" in paper
    for old in ("备班人员", "→组长", "→指挥部"):  # the binder's words before it read the vocabulary
        assert old not in paper


def test_the_plan_simulation_names_each_hop_as_the_binder_prints_it(his, paper):
    pages = [e.text for e in simulate(his, his.scenarios[0].id) if e.kind == "page"]
    names = in_language(ESCALATION_STEPS, "zh-hans")
    assert [re.sub(r"^呼叫|，直至确认$", "", text) for text in pages][:3] == [
        names["on_duty"], names["backup"], names["group_lead"]]
    assert pages[3].startswith(f"呼叫{names['command_centre']}（")
    for name in names.values():
        assert name in paper


def test_duty_cards_are_labelled_alike_on_the_plan_page_and_in_the_binder(his, paper, client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    page = client.get(f"/plans/{his.id}/duty-cards/").content.decode()
    words = in_language(TERMS, "zh-hans")
    card = his.duty_cards[0]
    assert f"{words['coordinator']}：{card.coordinator}" in page and words["coordinator"] == "协调人"
    assert f"{words['when']}：{card.when}" in page
    assert f"<h3>{words['keep_for_recovery']}</h3>" in page
    for key in ("coordinator", "when", "keep_for_recovery", "duties"):
        assert words[key] in paper, key


def test_levels_are_labelled_alike_on_the_plan_page_and_in_the_binder(his, paper, client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    page = client.get(f"/plans/{his.id}/").content.decode()
    words = in_language(TERMS, "zh-hans")
    for key in ("criteria", "respond", "resolve", "lead", "notify", "channels", "actions"):
        assert f"<th>{words[key]}</th>" in page, key
        assert words[key] in paper, key
    scopes = [s for level in his.levels for s in level.criteria.scope]
    if scopes:
        said = in_language(SCOPES, "zh-hans")[scopes[0].value]
        assert said in page and said in paper


def test_an_english_plan_prints_the_english_words_whatever_the_reader_speaks(load_seed):
    """Seed 004 is written in English: its binder and its simulation say the vocabulary in English,
    though the reader's interface is Chinese; a timer's condition reads the same in both."""
    plan = services.active_version(load_seed("004")).content
    reader = PdfReader(io.BytesIO(render_binder(plan, "pdf")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "notify in turn: IT on duty → backup on duty → lead of the group on duty → command centre" in text
    assert "备用值班人员" not in text
    unless = in_language(UNLESS, "en")["resolved"]
    scenario = next(s for s in plan.scenarios if s.timers)
    timers = [e.text for e in simulate(plan, scenario.id) if e.kind == "timer"]
    assert any(t.endswith(f"({unless})") for t in timers)
    assert f"({unless})" in text
