"""What a message says to whom: the recipient's duty card, the next steps, a reporter's note."""
import pytest

from lifeline.incidents import escalation, intake, lifecycle
from lifeline.incidents.models import OutboxMessage
from lifeline.notify import messages

pytestmark = pytest.mark.django_db


def test_department_staff_read_their_duty_card(load_seed, on_duty, clock):
    on_duty("it_director", "王建国")
    cashier = on_duty("cashier", "刘收费", department="收费处")
    incident = lifecycle.open_incident(plan_id=load_seed("003"), title="HIS 存储故障，启动桌面应急系统",
                                       scenario_id="desktop_emergency_system")
    escalation.notify(incident, ["cashier"], "启动门诊桌面应急系统", "test")
    clock.advance(minutes=3)

    # (the cashier is told of 一级 at opening too: 003 notifies the departments)
    text = messages.compose(OutboxMessage.objects.get(member=cashier, subject="启动门诊桌面应急系统")).body.splitlines()
    assert text[0] == "启动门诊桌面应急系统"
    assert text[2] == "级别：一级故障 · 状态：已上报 · 已持续 3 分钟"
    assert "影响业务" not in "\n".join(text)  # the incident names no services
    card = text.index("收费处 应急职责卡：")
    assert text[card + 1:card + 4] == ["- 与信息中心保持密切联系，及时沟通最新信息", "- 使用桌面应急系统收费",
                                       "- 输入当年发票号"]
    assert text[card + 4].startswith("确认收到（链接 24 小时内有效）：")
    assert text[text.index("下一步：") + 1].startswith("1. ")


def test_reporters_get_the_news_and_the_note_without_a_link(load_seed, on_duty, clock):
    on_duty("it_director", "王建国")
    report = intake.submit_report(department="门诊收费", description="收费系统无法登录",
                                  contact="zhang@hospital.example")
    incident = lifecycle.open_incident(plan_id=load_seed("003"), title="收费系统无法登录", reports=[report.number])
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "mitigated", note="已切换到门诊应急服务器，可以收费")

    mitigated = OutboxMessage.objects.get(contact="zhang@hospital.example", dedupe_key__endswith="mitigated")
    news = messages.compose(mitigated)
    assert news.subject == f"您的故障报告 {report.number}：事件当前状态为已缓解"
    assert news.body.splitlines() == [news.subject, f"事件：#{incident.pk} 收费系统无法登录",
                                      "状态：已缓解 · 已持续 0 分钟", "已切换到门诊应急服务器，可以收费"]
