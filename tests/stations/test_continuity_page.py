"""The continuity page (应急数据): chain, builds with charts, freshness, stations with the age of
their data; commanders and IT on duty add and revoke stations, auditors read, department staff
may not; stations in the admin."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from lifeline.accounts.roles import Role
from lifeline.snapshots.models import SnapshotBuild
from lifeline.stations import registry
from lifeline.stations.models import Station
from tests.snapshots.helpers import snapshot_dir  # noqa: F401
from tests.stations.chains import chain, small_his  # noqa: F401

pytestmark = pytest.mark.django_db

PAGE = "/continuity/"


def labels(moment) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def row(html: str, name: str) -> str:
    return re.search(rf'<tr data-station="{name}" class="(\w+)">(.*?)</tr>', html, re.S).group(0)


def test_the_page_shows_the_chain_the_builds_with_charts_and_each_stations_data_age(clock, client, chain,
                                                                                      make_user):
    full, incremental = chain
    SnapshotBuild.objects.create(kind="incremental", status="failed", trigger="worker", started_at=clock.now(),
                                 finished_at=clock.now(), duration_seconds=2.5, package_id="failed-1",
                                 mapping_path="his.yaml", error="patient 1001: HIS unreachable (timeout)")
    current, _t = registry.create(name="挂号-01", department="门诊挂号")
    registry.record_holding(current, package_ids=[full.package_id, incremental.package_id],
                            applied=incremental.package_id, now=clock.now())
    registry.create(name="药房-01", department="门诊药房")
    client.force_login(make_user("zhangwei", Role.DUTY))

    html = client.get(PAGE).content.decode()
    assert '<div class="card freshness fresh"' in html and "<strong>新鲜</strong>" in html
    chain_table = html.split('<table class="chain">')[1].split("</table>")[0]
    assert chain_table.index(full.package_id) < chain_table.index(incremental.package_id)
    builds = html.split('<table class="builds">')[1]
    assert builds.count('<tr class="build-published">') == 2
    assert '<td class="status-failed">失败</td>' in builds and "patient 1001: HIS unreachable (timeout)" in builds
    charts = re.findall(r'<svg class="chart".*?</svg>', html, re.S)
    assert [re.search(r'aria-label="([^"]+)"', c).group(1) for c in charts] == ["构建耗时", "包大小"]
    assert "<title>" + labels(incremental.started_at.replace(second=0)) in charts[0]
    assert "增量: 2.5 s</title>" in charts[0]  # the failed build took 2.5 s …
    assert charts[1].count("<rect") == 2  # … and has no size; packages under 1 MB are charted in KB
    for record in chain:
        assert f"{record.get_kind_display()}: {round(record.size_bytes / 1024, 2):g} KB</title>" in charts[1]
    assert "fresh" in row(html, "挂号-01") and "最新" in row(html, "挂号-01")
    assert 'class="stale"' in row(html, "药房-01") and "尚无数据" in row(html, "药房-01")

    clock.advance(hours=2)
    html = client.get(PAGE).content.decode()
    assert '<div class="card freshness stale"' in html and "<strong>已过期</strong>" in html
    assert "（阈值 60 分钟）" in html
    assert 'class="stale"' in row(html, "挂号-01") and "2\xa0小时" in row(html, "挂号-01")


def test_roles(client, make_user, snapshot_dir):
    assert client.get(PAGE).status_code == 302
    client.force_login(make_user("nurse", Role.DEPARTMENT))
    assert client.get(PAGE).status_code == 403
    assert client.post("/continuity/stations/new/", {"name": "x", "department": "y"}).status_code == 403
    client.force_login(make_user("auditor", Role.AUDITOR))
    page = client.get(PAGE)
    assert page.status_code == 200 and "添加工作站" not in page.content.decode()
    assert client.post("/continuity/stations/new/", {"name": "x", "department": "y"}).status_code == 403
    assert not Station.objects.exists()
    client.force_login(make_user("wangjun", Role.COMMANDER))
    assert "添加工作站" in client.get(PAGE).content.decode()


def test_duty_adds_a_station_sees_its_token_once_and_revokes_it(client, make_user, snapshot_dir):
    client.force_login(make_user("zhangwei", Role.DUTY))
    created = client.post("/continuity/stations/new/", {"name": "收费-03", "department": "门诊收费",
                                                         "location": "急诊楼"})
    token = re.search(r'<code id="token">(st_[\w-]+)</code>', created.content.decode()).group(1)
    station = registry.find(token)
    assert (station.name, station.department, station.location) == ("收费-03", "门诊收费", "急诊楼")
    assert token not in client.get(PAGE).content.decode()

    duplicate = client.post("/continuity/stations/new/", {"name": "收费-03", "department": "门诊收费"})
    assert "具有 名称 的 应急工作站 已存在。" in duplicate.content.decode() and Station.objects.count() == 1

    revoked = client.post(f"/continuity/stations/{station.pk}/revoke/", follow=True)
    assert "工作站 收费-03 已吊销：其令牌已失效。" in revoked.content.decode()
    assert registry.find(token) is None
    assert 'class="revoked"' in row(revoked.content.decode(), "收费-03")


def test_commanders_add_stations_in_the_admin_and_see_the_token_once(client, make_user, snapshot_dir):
    client.force_login(make_user("wangjun", Role.COMMANDER))
    added = client.post("/admin/stations/station/add/", {"name": "药房-02", "department": "门诊药房",
                                                           "location": ""}, follow=True)
    message = re.search(r"工作站 药房-02 的令牌，仅此一次显示：(st_[\w-]+)", added.content.decode())
    assert registry.find(message.group(1)).name == "药房-02"
    station = Station.objects.get()
    replaced = client.post("/admin/stations/station/", {"action": "new_token", "_selected_action": [station.pk]},
                           follow=True)
    new = re.search(r"工作站 药房-02 的令牌，仅此一次显示：(st_[\w-]+)", replaced.content.decode()).group(1)
    assert registry.find(message.group(1)) is None and registry.find(new) == station
    client.post("/admin/stations/station/", {"action": "revoke", "_selected_action": [station.pk]})
    assert registry.find(new) is None


def test_auditors_cannot_revoke_or_replace_tokens_in_the_admin(client, make_user, snapshot_dir):
    station, token = registry.create(name="药房-02", department="门诊药房")
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert client.get("/admin/stations/station/").status_code == 200
    for action in ("revoke", "new_token"):
        client.post("/admin/stations/station/", {"action": action, "_selected_action": [station.pk]})
    assert registry.find(token) == station


def test_station_check_ins_are_read_only_in_the_admin(client, make_user, snapshot_dir):
    client.force_login(make_user("wangjun", Role.COMMANDER))
    assert client.get("/admin/stations/stationcheckin/").status_code == 200
    assert client.get("/admin/stations/stationcheckin/add/").status_code == 403


def test_a_station_never_checked_in_and_a_revoked_one(clock, client, make_user, snapshot_dir):
    revoked, _t = registry.create(name="旧机-01", department="信息中心")
    registry.revoke(revoked, clock.now() - timedelta(days=1))
    client.force_login(make_user("auditor", Role.AUDITOR))
    html = client.get(PAGE).content.decode()
    assert 'class="revoked"' in row(html, "旧机-01") and "已吊销" in row(html, "旧机-01")
    assert "尚未发布任何包" in html
