"""Vendors (承建单位, seed 000): committed repair times beside the SLA deadline, the vendor view
(overdue first, Excel), and one notice to the vendor's contact and the commander when a
commitment passes."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from lifeline.accounts.roles import Role
from lifeline.core import worker
from lifeline.core.errors import Refused
from lifeline.incidents import lifecycle, vendors
from lifeline.incidents.models import OutboxMessage, TimelineEntry, VendorCommitment
from lifeline.plans.schema import Plan
from tests.plans.seeds import bundled_file, read

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_000(load_seed):
    return load_seed("000")


@pytest.fixture
def people(on_duty):
    """Seed 000's dependency-system builder and the go-live commander on duty."""
    return {"vendor": on_duty("dependency_vendor", "中台承建方王工"), "commander": on_duty("commander", "李组长"),
            "onsite": on_duty("onsite_lead", "赵组长"), "duty": on_duty("duty_it", "运维专人陈")}


@pytest.fixture
def incident(plan_000, people, t0):
    """业务中台 down: the dependency scenario, at 严重问题, its vendor holding the role."""
    found = lifecycle.open_incident(plan_id=plan_000, title="业务中台接口调用失败", scenario_id="dependency")
    lifecycle.assign(found, "dependency_vendor", people["vendor"])
    lifecycle.assign(found, "commander", people["commander"])
    return found


@pytest.fixture
def duty(client, make_user):
    client.force_login(make_user("chen", Role.DUTY))
    return client


def _sheet(answer) -> list[list]:
    assert answer.status_code == 200, answer.content[:300]
    return [list(row) for row in load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)]


# --- the plans say who is a vendor -------------------------------------------------------------

@pytest.mark.parametrize(("seed", "vendors_named"), [
    ("000", {"dependency_vendor", "developer", "vendor", "hardware_vendor", "carrier"}),
    ("002", {"software_company", "vendor", "vendor_onsite"}),
    ("003", {"hardware_vendor"}),
    ("004", {"vendor", "hardware_vendor"}),
])
def test_the_bundled_plans_mark_the_vendors_their_seeds_name(seed, vendors_named):
    plan: Plan = read(bundled_file(seed))
    marked = {r.id for r in plan.roles if r.vendor}
    assert vendors_named <= marked
    assert not marked & {"commander", "duty_it", "it_director", "project_lead", "onsite_lead"}


def test_which_roles_are_vendors_comes_from_the_plan_not_a_list(incident, t0):
    """A role id no code knows is a vendor when its plan says so (vendor_roles reads the plan)."""
    vendor_ids = set(vendors.vendor_roles(incident.plan))
    assert {"dependency_vendor", "developer", "carrier"} <= vendor_ids
    assert "duty_it" not in vendor_ids


# --- recording a commitment --------------------------------------------------------------------

def test_a_commitment_is_recorded_on_the_timeline_and_can_be_changed(incident, t0, make_user):
    user = make_user("chen", Role.DUTY)
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=6), "处理单 CL-0042", user)
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=8), "待发版", user)

    commitment = VendorCommitment.objects.get()
    assert (commitment.role, commitment.repair_by, commitment.note) == ("dependency_vendor", t0 + timedelta(hours=8),
                                                                       "待发版")
    texts = list(incident.timeline.filter(kind=TimelineEntry.Kind.VENDOR).values_list("text", flat=True))
    assert texts == ["依赖系统承建方及运维人员承诺于 2026-11-22 15:00 前修复：处理单 CL-0042",
                     "依赖系统承建方及运维人员将承诺修复时间从 2026-11-22 15:00 改为 2026-11-22 17:00：待发版"]


@pytest.mark.parametrize(("role", "repair_by", "field", "message"), [
    ("duty_it", timedelta(hours=2), "role", "duty_it 不是本预案的厂商角色"),
    ("dependency_vendor", timedelta(minutes=-5), "repair_by", "承诺修复时间必须晚于现在"),
    ("dependency_vendor", timedelta(days=400), "repair_by", "承诺修复时间必须在一年之内"),
    ("dependency_vendor", None, "repair_by", "请填写厂商承诺的日期和时间"),
])
def test_a_bad_commitment_is_refused_naming_the_field_and_changes_nothing(incident, t0, role, repair_by, field,
                                                                           message):
    with pytest.raises(Refused) as refused:
        vendors.commit(incident, role, t0 + repair_by if repair_by is not None else None)
    assert refused.value.field == field and message in refused.value.message
    assert not VendorCommitment.objects.exists()
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.VENDOR).exists()


def test_a_finished_incident_takes_no_commitment(incident, t0, make_user):
    user = make_user("chen", Role.DUTY)
    lifecycle.transition(incident, "acknowledged", user)
    lifecycle.transition(incident, "resolved", user, confirmed=True)
    with pytest.raises(Refused) as refused:
        vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=2))
    assert refused.value.field == "status"


# --- the tracking table ------------------------------------------------------------------------

def test_the_tracking_table_shows_the_commitment_beside_the_sla_deadline(duty, incident, t0):
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=6))

    page = duty.get("/incidents/tracking/").content.decode()
    assert "<th>时限</th><th>厂商承诺修复时间</th>" in page
    assert "2026-11-22 15:00" in page and "中台承建方王工" in page

    header, *rows = _sheet(duty.get("/incidents/tracking.xlsx"))
    deadline = header.index("时限")
    assert header[deadline + 1] == "厂商承诺修复时间"
    [row] = rows
    assert row[deadline + 1].strftime("%Y-%m-%d %H:%M") == "2026-11-22 15:00"
    assert row[header.index("厂商")] == "中台承建方王工"


def test_a_passed_commitment_is_red_in_the_tracking_table(duty, incident, clock, t0):
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=1))
    clock.advance(hours=2)
    assert 'class="commitment overdue"' in duty.get("/incidents/tracking/").content.decode()


# --- the vendor view ---------------------------------------------------------------------------

def test_the_vendor_view_lists_open_items_overdue_first_and_exports_them(duty, plan_000, people, clock, t0):
    early = lifecycle.open_incident(plan_id=plan_000, title="门户集成失败", scenario_id="dependency")
    vendors.commit(early, "dependency_vendor", t0 + timedelta(hours=1))
    later = lifecycle.open_incident(plan_id=plan_000, title="公服消息发送失败", scenario_id="dependency")
    vendors.commit(later, "dependency_vendor", t0 + timedelta(hours=30))
    lifecycle.assign(later, "developer", people["vendor"])
    clock.advance(hours=3)
    late = lifecycle.open_incident(plan_id=plan_000, title="获取基础信息失败", scenario_id="dependency")
    vendors.commit(late, "dependency_vendor", t0 + timedelta(hours=4))
    clock.advance(hours=2)  # t0 + 5 h: early is 4 h overdue, late 1 h, later not yet

    found = [(i.incident.title, i.role) for i in vendors.items()]
    assert found[:2] == [("门户集成失败", "dependency_vendor"), ("获取基础信息失败", "dependency_vendor")]
    assert set(found[2:]) == {("公服消息发送失败", "dependency_vendor"), ("公服消息发送失败", "developer")}
    assert [i.incident.title for i in vendors.items("developer")] == ["公服消息发送失败"]

    page = duty.get("/incidents/vendors/?role=dependency_vendor").content.decode()
    assert page.index("门户集成失败") < page.index("获取基础信息失败") < page.index("公服消息发送失败")
    assert "已逾期 4" in page and ">dependency_vendor<" not in page  # the plan's title, never the id

    header, *rows = _sheet(duty.get("/incidents/vendors.xlsx?role=dependency_vendor"))
    assert header[:4] == ["厂商", "联系人", "编号", "问题"]
    assert [row[3] for row in rows] == ["门户集成失败", "获取基础信息失败", "公服消息发送失败"]
    overdue = header.index("逾期（小时）")
    assert [row[overdue] for row in rows] == [4.0, 1.0, None]


def test_a_step_the_vendor_owns_puts_it_on_the_vendor_view(plan_000, people, t0):
    """The dependency scenario's 编制处理单 step is dependency_vendor's: no holder, no commitment needed."""
    found = lifecycle.open_incident(plan_id=plan_000, title="业务中台调用失败", scenario_id="dependency")
    [item] = vendors.items("dependency_vendor")
    assert (item.incident, item.open_steps, item.repair_by) == (found, 2, None)


def test_an_unknown_vendor_filter_is_named(duty, plan_000):
    assert "nobody 不是任何生效预案的厂商角色" in duty.get("/incidents/vendors/?role=nobody").content.decode()
    answer = duty.get("/incidents/vendors.xlsx?role=nobody")
    assert answer.status_code == 400 and "nobody" in answer.content.decode()


def test_the_vendor_export_neutralises_formulas(duty, incident, t0):
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=6), '=HYPERLINK("http://evil.example/","x")')
    sheet = load_workbook(io.BytesIO(duty.get("/incidents/vendors.xlsx").content)).active
    [cell] = [c for row in sheet.iter_rows(min_row=2) for c in row if str(c.value).startswith("=HYPERLINK")]
    assert (cell.data_type, cell.quotePrefix) == ("s", True)


# --- a commitment passes -----------------------------------------------------------------------

def _overdue_messages():
    return list(OutboxMessage.objects.filter(dedupe_key__contains=":vendor:").values_list("member__name", flat=True))


def test_a_passed_commitment_tells_the_vendor_and_the_commander_once(incident, people, clock, t0):
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=2), "处理单 CL-0042")
    clock.advance(hours=1)
    assert vendors.notify_overdue() == 0

    clock.advance(hours=1, seconds=1)
    assert "lifeline.incidents.tasks.notify_overdue_commitments" in {j.name for j in worker.discover()}
    vendors.notify_overdue(clock.now(), "worker host:1")  # what that job of `lifeline worker` does
    assert sorted(_overdue_messages()) == sorted(["中台承建方王工", "李组长"])
    subject = OutboxMessage.objects.filter(dedupe_key__contains=":vendor:").first().subject
    assert subject == f"依赖系统承建方及运维人员未在承诺时间 2026-11-22 11:00 前修复 #{incident.pk}"
    [entry] = incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, data__overdue=True)
    assert entry.text == ("依赖系统承建方及运维人员承诺的修复时间（2026-11-22 11:00）已过；"
                          "已通知 中台承建方王工（依赖系统承建方及运维人员）、李组长（指挥）")

    clock.advance(minutes=30)
    assert vendors.notify_overdue() == 0  # once per commitment
    assert len(_overdue_messages()) == 2


def test_a_new_time_from_the_vendor_is_told_once_more_when_it_too_passes(incident, clock, t0):
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=1))
    clock.advance(hours=2)
    assert vendors.notify_overdue() == 1
    vendors.commit(incident, "dependency_vendor", clock.now() + timedelta(hours=1))
    clock.advance(hours=2)
    assert vendors.notify_overdue() == 1
    assert len(_overdue_messages()) == 4
    assert vendors.notify_overdue() == 0


def test_without_a_holder_the_vendor_on_duty_is_told(plan_000, people, clock, t0):
    found = lifecycle.open_incident(plan_id=plan_000, title="门户集成失败", scenario_id="dependency")
    vendors.commit(found, "dependency_vendor", t0 + timedelta(hours=1))
    clock.advance(hours=2)
    vendors.notify_overdue()
    assert "中台承建方王工" in _overdue_messages()


def test_a_resolved_incident_tells_nobody(incident, clock, t0, make_user):
    user = make_user("chen", Role.DUTY)
    vendors.commit(incident, "dependency_vendor", t0 + timedelta(hours=1))
    lifecycle.transition(incident, "acknowledged", user)
    lifecycle.transition(incident, "resolved", user, confirmed=True)
    clock.advance(hours=2)
    assert vendors.notify_overdue() == 0
    assert _overdue_messages() == []


# --- the incident page and the API --------------------------------------------------------------

def test_duty_records_a_commitment_on_the_incident_page(duty, incident, t0):
    page = duty.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="vendors"' in page and "记录承诺修复时间" in page

    answer = duty.post(f"/incidents/{incident.pk}/commitment/", {
        "role": "dependency_vendor", "repair_by": "2026-11-22T15:30", "note": "处理单 CL-0042"}, follow=True)
    assert "已记录承诺修复时间" in answer.content.decode()
    assert VendorCommitment.objects.get().repair_by == t0 + timedelta(hours=6, minutes=30)

    refused = duty.post(f"/incidents/{incident.pk}/commitment/", {"role": "dependency_vendor",
                                                                  "repair_by": "明天"}, follow=True)
    assert "明天 不是 2026-11-22T18:00 这样的日期和时间" in refused.content.decode()


def test_auditors_read_the_vendor_view_but_record_nothing(client, make_user, incident):
    client.force_login(make_user("wu", Role.AUDITOR))
    assert client.get("/incidents/vendors/").status_code == 200
    assert "记录承诺修复时间" not in client.get(f"/incidents/{incident.pk}/").content.decode()
    answer = client.post(f"/incidents/{incident.pk}/commitment/", {"role": "dependency_vendor",
                                                                   "repair_by": "2026-11-22T15:30"})
    assert answer.status_code == 403 and not VendorCommitment.objects.exists()


def test_the_api_records_and_lists_commitments(duty, incident, t0):
    answer = duty.post(f"/api/v1/incidents/{incident.pk}/commitments", {
        "role": "dependency_vendor", "repair_by": "2026-11-22T15:00:00+08:00"}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["role"] == "dependency_vendor"

    refused = duty.post(f"/api/v1/incidents/{incident.pk}/commitments", {
        "role": "duty_it", "repair_by": "2026-11-22T15:00:00+08:00"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "role"

    [item] = [i for i in duty.get("/api/v1/vendor-items").json() if i["role"] == "dependency_vendor"]
    assert (item["incident"], item["contact"], item["overdue_since"]) == (incident.pk, "中台承建方王工", None)
    assert duty.get("/api/v1/vendor-items?role=nobody").json()["errors"][0]["field"] == "role"
    assert duty.get("/api/v1/vendor-items.xlsx").status_code == 200


def test_the_api_names_a_time_it_cannot_read(duty, incident):
    answer = duty.post(f"/api/v1/incidents/{incident.pk}/commitments", {"role": "dependency_vendor",
                       "repair_by": "明天下午"}, content_type="application/json")
    assert answer.status_code == 400
    [problem] = answer.json()["errors"]
    assert problem["field"] == "repair_by" and not VendorCommitment.objects.exists()
