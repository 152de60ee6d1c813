"""Emergency credentials managed in the admin: the password is stored hashed (never in the
audit log), a new credential without one is refused naming the field, and only credentials
still valid are sent, signed, to the stations."""
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.stations import registry
from lifeline.stations.models import EmergencyCredential
from tests.stations.chains import bearer

pytestmark = pytest.mark.django_db
ADD = "/admin/stations/emergencycredential/add/"


def form(clock, **changes):
    until = clock.now() + timedelta(days=30)
    return {"code": "C017", "name": "王芳", "role": "cashier", "valid_until_0": until.strftime("%Y-%m-%d"),
            "valid_until_1": until.strftime("%H:%M:%S"), "new_password": "7391", **changes}


def test_the_admin_stores_the_password_hashed_and_refuses_a_credential_without_one(client, make_user, clock,
                                                                                  snapshot_dir):
    client.force_login(make_user("root", Role.ADMIN))
    refused = client.post(ADD, form(clock, new_password=""))
    assert refused.status_code == 200 and "new_password" in refused.content.decode()
    assert not EmergencyCredential.objects.exists()
    assert client.post(ADD, form(clock)).status_code == 302
    credential = EmergencyCredential.objects.get()
    assert credential.password != "7391" and check_password("7391", credential.password)
    entry = AuditEntry.objects.get(object_type="stations.emergencycredential")
    assert "7391" not in str(entry.changes) and credential.password not in str(entry.changes)

    station, token = registry.create(name="收费-01", department="门诊收费")
    signed = client.get("/api/v1/continuity/stations/operators", **bearer(token)).json()
    assert [o["code"] for o in signed["body"]["operators"]] == ["C017"] and signed["signature"]


def test_with_no_package_key_yet_the_station_is_told_so_not_a_500(client, settings, tmp_path):
    settings.DATA_DIR, settings.SNAPSHOT_KEY_FILE = tmp_path, None
    station, token = registry.create(name="收费-01", department="门诊收费")
    answer = client.get("/api/v1/continuity/stations/operators", **bearer(token))
    assert answer.status_code == 503 and answer.json()["errors"][0]["field"] == "key"


def test_a_credential_limited_to_some_stations_reaches_only_those(client, make_user, clock, snapshot_dir):
    client.force_login(make_user("root", Role.ADMIN))
    pharmacy, pharmacy_token = registry.create(name="药房-01", department="门诊药房")
    cashier, cashier_token = registry.create(name="收费-01", department="门诊收费")
    page = client.get(ADD).content.decode()
    assert "药房-01" in page and 'name="stations"' in page
    assert client.post(ADD, form(clock, code="P001", role="pharmacist", stations=[pharmacy.pk])).status_code == 302
    assert client.post(ADD, form(clock, code="A001")).status_code == 302  # no station chosen: every station
    assert list(EmergencyCredential.objects.get(code="P001").stations.all()) == [pharmacy]
    listed = client.get("/admin/stations/emergencycredential/").content.decode()
    assert "药房-01" in listed

    def sent_to(token):
        signed = client.get("/api/v1/continuity/stations/operators", **bearer(token)).json()
        return [o["code"] for o in signed["body"]["operators"]]

    assert sent_to(pharmacy_token) == ["A001", "P001"]
    assert sent_to(cashier_token) == ["A001"]

    credential = EmergencyCredential.objects.get(code="P001")
    change = f"/admin/stations/emergencycredential/{credential.pk}/change/"
    assert client.post(change, form(clock, code="P001", role="pharmacist", new_password="",
                                     stations=[pharmacy.pk, cashier.pk])).status_code == 302
    assert sent_to(cashier_token) == ["A001", "P001"]
