"""The organisation, roster and check-in pages, and who may change things through them."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.people.models import CheckIn, Member, Override, Shift, Team, TeamMembership
from tests.people.conftest import xlsx

pytestmark = pytest.mark.django_db

GOOD_FILE = xlsx(["name", "phone", "department"], ["刘洋", "13800001111", "信息中心"])
BAD_FILE = xlsx(["name", "phone"], ["刘洋", "13800001111"], ["", "13800002222"])


def field_of(html: str, name: str) -> str:
    """The site form's block of one field: its label, errors, input and help."""
    return next(block for block in html.split('<div class="field') if f'name="{name}"' in block)


def upload(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("book.xlsx", content)


def test_organisation_page_shows_teams_members_and_gaps(client, make_user, make_member, tech_team):
    client.force_login(make_user("auditor", Role.AUDITOR))
    liu = make_member("刘洋", skills=["数据库恢复"], department="信息中心")
    TeamMembership.objects.create(member=liu, team=tech_team, lead=True)
    page = client.get(reverse("people:organisation")).content.decode()
    assert "技术组" in page and "刘洋" in page and "数据库恢复" in page and liu.phone in page
    assert "1/5（缺员）" in page  # core members short of the target
    assert 'action="/people/import/"' not in page  # an auditor is not offered the import


def test_roster_shows_who_is_on_duty_now(client, make_user, make_member, monday_9am):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    zhang, wang = make_member("张伟"), make_member("王芳")
    Shift.objects.create(role="duty_it", member=zhang, starts_at=monday_9am - timedelta(hours=1),
                         ends_at=monday_9am + timedelta(hours=23))
    Override.objects.create(role="dba", member=wang, starts_at=monday_9am, ends_at=monday_9am + timedelta(hours=2),
                            reason="临时顶岗")
    response = client.get(reverse("people:roster"))
    now_table = response.content.decode().split('class="on-duty"')[1].split("</table>")[0]
    assert "张伟" in now_table and "王芳" in now_table
    assert "临时顶岗" in response.content.decode()

    other_day = client.get(reverse("people:roster"), {"date": "2025-03-10"}).content.decode()
    shifts_table = other_day.split('class="shifts"')[1].split("</table>")[0]
    assert "张伟" not in shifts_table


def test_department_user_cannot_import(client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    response = client.post(reverse("people:import"), {"what": "members", "file": upload(GOOD_FILE)})
    assert response.status_code == 403
    assert Member.objects.count() == 0


def test_duty_imports_a_good_file(client, make_user):
    client.force_login(make_user("duty", Role.DUTY))
    response = client.post(reverse("people:import"), {"what": "members", "file": upload(GOOD_FILE)}, follow=True)
    assert "新增 1 条" in response.content.decode()
    assert Member.objects.get().name == "刘洋"


def test_bad_file_shows_row_and_field_and_imports_nothing(client, make_user):
    client.force_login(make_user("boss", Role.COMMANDER))
    response = client.post(reverse("people:import"), {"what": "members", "file": upload(BAD_FILE)})
    assert "第 3 行，name：" in field_of(response.content.decode(), "file")  # under the file it is about
    assert Member.objects.count() == 0


def test_import_without_a_file_says_so_by_the_file_field(client, make_user):
    client.force_login(make_user("boss", Role.COMMANDER))
    response = client.post(reverse("people:import"), {"what": "members"})
    assert "这个字段是必填项。" in field_of(response.content.decode(), "file")


def test_export_downloads_a_spreadsheet(client, make_user, make_member):
    client.force_login(make_user("auditor", Role.AUDITOR))
    make_member("刘洋")
    response = client.get(reverse("people:export", args=["members"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"
    assert client.get("/people/export/secrets.xlsx").status_code == 404


def test_department_user_cannot_download_the_channel_urls(client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    assert client.get(reverse("people:export", args=["members"])).status_code == 403
    assert "/people/export/" not in client.get(reverse("people:organisation")).content.decode()


def test_member_checks_in_off_site_and_appears_in_fastest(client, make_user, make_member, monday_9am):
    user = make_user("liuyang", Role.DEPARTMENT)
    me = make_member("刘洋", user=user, skills=["数据库恢复"])
    client.force_login(user)
    assert "刘洋" in client.get(reverse("people:check_in")).content.decode()
    client.post(reverse("people:check_in"), {"status": "off_site", "eta_minutes": "20", "note": "家中"})
    assert CheckIn.objects.get(member=me).eta_minutes == 20
    page = client.get(reverse("people:check_in"), {"skill": "数据库恢复"}).content.decode()
    assert "家中" in page


def test_off_site_without_minutes_says_which_field(client, make_user, make_member, monday_9am):
    user = make_user("liuyang", Role.DEPARTMENT)
    make_member("刘洋", user=user)
    client.force_login(user)
    response = client.post(reverse("people:check_in"), {"status": "off_site"})
    field = field_of(response.content.decode(), "eta_minutes")
    assert response.status_code == 200 and "field-error" in field and "errorlist" in field  # beside the field
    assert re.search(r'value="off_site"[^>]* checked', field_of(response.content.decode(), "status"))  # kept
    assert CheckIn.objects.count() == 0


def test_checking_in_someone_else_needs_commander_or_duty(client, make_user, make_member, monday_9am):
    other = make_member("张伟")
    ward = make_user("ward", Role.DEPARTMENT)
    make_member("赵敏", user=ward)
    client.force_login(ward)
    assert client.post(reverse("people:check_in"), {"member": other.pk, "status": "on_site"}).status_code == 403

    client.force_login(make_user("duty", Role.DUTY))
    client.post(reverse("people:check_in"), {"member": other.pk, "status": "on_site"})
    assert CheckIn.objects.get().member == other


def test_auditor_cannot_check_in_even_themselves(client, make_user, make_member, monday_9am):
    auditor = make_user("audit", Role.AUDITOR)
    me = make_member("吴芳", user=auditor)
    client.force_login(auditor)
    assert client.post(reverse("people:check_in"), {"member": me.pk, "status": "on_site"}).status_code == 403
    assert CheckIn.objects.count() == 0


def test_admin_action_generates_the_next_30_days(client, make_user, make_member, monday_9am):
    from lifeline.people.models import RosterRotation, RotationSlot

    rot = RosterRotation.objects.create(name="duty", role="duty_it", shift_hours=24, starts_at=monday_9am)
    RotationSlot.objects.create(rotation=rot, member=make_member("张伟"))
    client.force_login(make_user("duty", Role.DUTY))
    changelist = reverse("admin:people_rosterrotation_changelist")
    for _ in range(2):
        client.post(changelist, {"action": "generate_next_30_days", "_selected_action": [rot.pk]})
    assert Shift.objects.count() == 30


def test_auditor_may_not_import_in_admin(client, make_user):
    client.force_login(make_user("audit", Role.AUDITOR))
    assert client.get(reverse("admin:people_member_changelist")).status_code == 200
    assert client.get(reverse("admin:people_member_import")).status_code == 403
    assert Team.objects.count() == 0
