"""The demo hospital's inspections and spare parts: the machine room's daily checklist (two probes
read by Lifeline, four items by hand), seed 004's quarterly UPS test, the server check confirmed
from plan 004, three weeks of done rounds (so the quarterly report has something to chart) and a
spare-parts stock with one line below its minimum."""
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from lifeline.accounts.roles import Role
from lifeline.core import clock
from lifeline.detection.models import Probe
from lifeline.inspections import checklists, from_plan, parts, services
from lifeline.inspections.models import CheckItem, Checklist, Frequency, Result, Round, SparePart

HISTORY_DAYS = 21
PARTS = [  # name, category, model, location, quantity, minimum, replaces
    ("核心交换机（备机）", "core_switch", "H3C S7506E", "一号机房 备件柜 A1", 1, 1, "核心交换机"),
    ("汇聚交换机", "switch", "H3C S5560", "一号机房 备件柜 A2", 2, 1, "门诊楼、住院楼汇聚交换机"),
    ("服务器硬盘 1.2TB SAS", "disk", "HPE 872479-B21", "一号机房 备件柜 B1", 4, 2, "HIS 数据库服务器、存储阵列"),
    ("服务器内存 32GB", "memory", "DDR4-2933 RDIMM", "一号机房 备件柜 B2", 2, 2, "HIS 应用服务器"),
    ("万兆光模块", "optical", "SFP+ 10G SR", "一号机房 备件柜 A3", 6, 4, "核心与汇聚之间的光纤链路"),
    ("防火墙", "firewall", "Hillstone SG-6000", "二号机房 备件区", 0, 1, "互联网出口防火墙"),
]
MANUAL = [("杀毒软件已更新", "", None, None), ("机房温度", "°C", 18, 27), ("机房湿度", "%", 40, 70),
          ("UPS 运行状态（面板无告警）", "", None, None), ("消防设施完好", "", None, None)]


def load_demo() -> dict:
    daily = _daily()
    quarterly = Checklist.objects.filter(name="UPS 季度放电测试").first() or _quarterly()
    if not daily.rounds.exists():
        _history(daily)
    for name, category, model, location, quantity, minimum, replaces in PARTS:
        part, _created = SparePart.objects.get_or_create(name=name, defaults={
            "category": category, "model": model, "location": location, "quantity": quantity, "minimum": minimum,
            "replaces": replaces})
        parts.check_stock(part)
    services.current_rounds()
    return {"checklists": [daily.name, quarterly.name], "parts": len(PARTS)}


def _daily() -> Checklist:
    found = Checklist.objects.filter(name="机房日常巡检").first()
    if found:
        return found
    daily = checklists.create_checklist(name="机房日常巡检", frequency=Frequency.DAILY)
    for probe in Probe.objects.filter(name__in=["Lifeline 自检", "演示 HIS 数据库"]):
        checklists.add_item(daily, title=f"{probe.name}运行正常", reads=f"probe:{probe.pk}")
    for title, unit, low, high in MANUAL:
        checklists.add_item(daily, title=title, unit=unit, low=low, high=high)
    server_check = next((o for o in from_plan.offers()[0] if o.measure.id == "server_check"), None)
    if server_check:
        from_plan.adopt_check(server_check.plan_id, "server_check", checklist=daily.name, frequency="",
                              title="服务器巡检（CPU、内存、磁盘空间、日志）")
    return daily


def _quarterly() -> Checklist:
    quarterly = checklists.create_checklist(name="UPS 季度放电测试", frequency=Frequency.QUARTERLY)
    checklists.add_item(quarterly, title="UPS 放电时长", unit="分钟", low=30)
    checklists.add_item(quarterly, title="电池组外观与连接")
    return quarterly


def _history(daily: Checklist):
    """The past days' rounds as done by IT on duty: all passed but a warm afternoon and one probe
    down for a morning, so the report shows a failure and a recommendation."""
    who = get_user_model().objects.filter(groups__name=Role.DUTY.value).first() or get_user_model().objects.first()
    today = timezone.localdate(clock.now())
    items = list(daily.items.all())
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        done = timezone.make_aware(datetime.combine(day, daily.due_time)) - timedelta(minutes=40 + back)
        round_ = Round.objects.create(checklist=daily, period_start=day, period_end=day,
                                      due_at=timezone.make_aware(datetime.combine(day, daily.due_time)),
                                      completed_at=done, completed_by=who)
        for item in items:
            Result.objects.create(round=round_, item=item, **_demo_result(item, back))


def _demo_result(item: CheckItem, back: int) -> dict:
    if item.kind == CheckItem.Kind.AUTOMATIC:
        down = back == 9 and "HIS" in item.title
        return {"passed": not down, "reading": "故障 · 连接超时" if down else "正常"}
    if item.unit == "°C":
        value = 29.0 if back == 5 else 22.0 + back % 3
        return {"passed": value <= 27, "value": value, "note": "空调 2 号机停机，已报修" if value > 27 else ""}
    if item.unit == "%":
        return {"passed": True, "value": 50.0 + back % 5}
    return {"passed": True}
