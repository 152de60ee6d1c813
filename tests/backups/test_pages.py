"""Backup and DR pages and API: who may read and change them, forms that refuse bad input naming
the field, spreadsheets, failover started from a component's page as a drill or an incident, and
a plan's backup and DR measures offered for confirmation."""
import json

import pytest
from django.test import Client

from lifeline.accounts.roles import Role
from lifeline.backups.models import BackupJob, DrComponent, Site, Switchover, System
from lifeline.core.spreadsheets import XLSX_TYPE
from lifeline.incidents.models import Incident
from lifeline.plans import preparedness as plan_preparedness
from lifeline.plans import services as plans
from tests.incidents.conftest import load_seed, t0  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(make_user) -> dict:
    found = {}
    for letter, role in {"C": Role.COMMANDER, "D": Role.DUTY, "P": Role.DEPARTMENT, "A": Role.AUDITOR}.items():
        client = Client()
        client.force_login(make_user(f"bk_{letter}", role))
        found[letter] = client
    return found


def test_it_on_duty_adds_a_system_commanders_and_auditors_only_read(clients):
    data = {"name": "PACS", "rpo_minutes": 60, "rto_minutes": 240, "notes": ""}
    for letter in ("C", "A", "P"):
        assert clients[letter].post("/backups/edit/system/", data).status_code == 403
    assert clients["P"].get("/backups/").status_code == 403
    answer = clients["D"].post("/backups/edit/system/", data)
    assert answer.status_code == 302 and System.objects.filter(name="PACS").exists()
    for letter in ("C", "A"):
        page = clients[letter].get("/backups/").content.decode()
        assert "PACS" in page and "新增系统" not in page


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(clients):
    system = System.objects.create(name="EMR")
    answer = clients["D"].post("/backups/edit/job/", {"system": system.pk, "name": "全量", "kind": "weekly",
                                                      "every_hours": 0, "grace_minutes": 60, "shrink_percent": 50})
    assert answer.status_code == 200
    assert set(answer.context["form"].errors) == {"kind", "every_hours"}
    assert not BackupJob.objects.exists()
    assert clients["D"].get("/backups/edit/nonsense/").status_code == 404


def test_the_catalogue_api_gives_the_three_two_one_view(clients):
    system = System.objects.create(name="LIS", rpo_minutes=60)
    BackupJob.objects.create(system=system, name="日志备份", kind=BackupJob.Kind.LOG, every_hours=1)
    [found] = clients["A"].get("/api/v1/backups/systems").json()
    assert found["name"] == "LIS" and found["three_two_one"] is False and found["rpo_met"] is False
    assert found["jobs"][0]["state"] == "unknown"
    assert clients["P"].get("/api/v1/backups/systems").status_code == 403
    assert clients["A"].post("/api/v1/backups/jobs/1/check").status_code == 403


def test_systems_and_jobs_round_trip_through_excel(clients):
    system = System.objects.create(name="HIS", rpo_minutes=60, rto_minutes=120)
    BackupJob.objects.create(system=system, name="全量备份", every_hours=24, tool="=cmd|' /C calc'!A0")
    exported = clients["A"].get("/backups/export/jobs.xlsx")
    assert exported["Content-Type"] == XLSX_TYPE
    BackupJob.objects.all().delete()
    answer = clients["D"].post("/backups/import/", {"what": "jobs", "file": _upload(exported.content)})
    assert answer.status_code == 302
    job = BackupJob.objects.get()
    assert (job.system, job.name, job.every_hours, job.tool) == (system, "全量备份", 24, "=cmd|' /C calc'!A0")


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("jobs.xlsx", content, content_type=XLSX_TYPE)


@pytest.fixture
def db_cluster(load_seed):
    plan_id = load_seed("003")
    a, b = Site.objects.create(name="A 机房"), Site.objects.create(name="B 机房", kind=Site.Kind.SAME_CITY)
    return DrComponent.objects.create(
        name="数据库服务器集群", kind=DrComponent.Kind.DATABASE, primary_site=a, primary="DBServerA",
        standby_site=b, standby="DBServerB", procedure_plan_id=plan_id, failover_scenario_id="db_cluster_one_node")


def test_a_failover_drill_starts_from_the_component_page_with_the_steps_as_a_checklist(clients, db_cluster, t0):
    page = clients["C"].get(f"/backups/dr/components/{db_cluster.pk}/").content.decode()
    assert "数据库服务器集群单台故障" in page and "开始切换演练" in page and "开始回切演练" not in page
    assert "开始切换演练" not in clients["A"].get(f"/backups/dr/components/{db_cluster.pk}/").content.decode()
    assert "切换：数据库服务器集群单台故障" in clients["A"].get("/backups/dr/").content.decode()
    assert clients["A"].post(f"/backups/dr/components/{db_cluster.pk}/switchover/",
                             {"direction": "failover", "drill": "1"}).status_code == 403

    answer = clients["D"].post(f"/backups/dr/components/{db_cluster.pk}/switchover/",
                               {"direction": "failover", "drill": "1"})
    incident = Incident.objects.get()
    assert answer["Location"] == f"/incidents/{incident.pk}/"
    assert incident.is_drill and incident.scenario_id == "db_cluster_one_node"
    assert incident.checklist.count() >= 3  # the procedure's steps, each with its done time when ticked
    assert Switchover.objects.get().incident == incident

    answer = clients["D"].post(f"/backups/dr/components/{db_cluster.pk}/switchover/", {"direction": "failback"})
    assert answer.status_code == 302 and Incident.objects.count() == 1  # refused: no failback procedure linked


def test_the_api_starts_a_failover_as_an_incident(clients, db_cluster, t0):
    path = f"/api/v1/backups/dr/components/{db_cluster.pk}/switchover"
    answer = clients["C"].post(path, json.dumps({"direction": "failover", "drill": False}),
                               content_type="application/json")
    assert answer.status_code == 201
    assert not Incident.objects.get(pk=answer.json()["incident_id"]).is_drill
    refused = clients["C"].post(path, json.dumps({"direction": "sideways"}), content_type="application/json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "direction"


def test_a_plans_backup_and_dr_measures_are_offered_prefilled_and_confirmed(clients, load_seed):
    plan_id = load_seed("004")
    page = clients["A"].get(f"/backups/plans/{plan_id}/").content.decode()
    assert "Monthly copy of the database backup to the remote backup computer" in page
    assert f'action="/backups/plans/{plan_id}/' not in page  # the auditor reads, confirms nothing
    answer = clients["D"].get(f"/backups/plans/{plan_id}/")
    offers = dict((m.id, f) for m, f in answer.context["offers"])
    assert set(offers) == {"db_daily_backup", "db_remote_copy", "db_removable_copy", "software_backup", "hot_standby"}
    assert offers["db_remote_copy"].initial["every_hours"] == 720
    assert offers["db_removable_copy"].initial["every_hours"] == 360

    measure = next(m for m in plans.active_version(plan_id).content.preparedness if m.id == "db_daily_backup")
    assert plan_preparedness.backing(plan_id, measure) is None  # paper only
    system = System.objects.create(name="HIS")
    answer = clients["D"].post(f"/backups/plans/{plan_id}/db_daily_backup/confirm/", {
        "db_daily_backup-system": system.pk, "db_daily_backup-name": "每日数据库备份", "db_daily_backup-kind": "full",
        "db_daily_backup-every_hours": 24, "db_daily_backup-grace_minutes": 120,
        "db_daily_backup-shrink_percent": 50, "db_daily_backup-enabled": "on"})
    assert answer.status_code == 302
    job = BackupJob.objects.get()
    assert (job.plan_id, job.measure_id) == (plan_id, "db_daily_backup")
    backing = plan_preparedness.backing(plan_id, measure)
    assert "每日数据库备份" in backing.what and backing.url.endswith(f"#job-{job.pk}")
    offers = [m.id for m, _f in clients["D"].get(f"/backups/plans/{plan_id}/").context["offers"]]
    assert "db_daily_backup" not in offers
