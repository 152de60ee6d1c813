"""Who may read the audit log, through the API and the command line."""
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from lifeline.accounts.roles import Role
from lifeline.core.actor import acting_as
from tests.errors import problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(make_user):
    user = make_user("wang", Role.DEPARTMENT)
    with acting_as("cli"):
        user.email = "wang@hospital.cn"
        user.save()
    return user


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMMANDER, Role.ADMIN])
def test_auditors_commanders_and_admins_read_an_objects_entries(client, make_user, wang, role):
    client.force_login(make_user("reader", role))
    response = client.get("/api/v1/audit/entries", {"model": "auth.User", "object_id": wang.pk})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3  # created, given a role, email changed
    newest = body["items"][0]
    assert (newest["actor"], newest["action"], newest["object_repr"]) == ("cli", "update", "wang")
    assert newest["changes"] == {"email": ["", "wang@hospital.cn"]}


def test_entries_are_paginated(client, make_user, wang):
    client.force_login(make_user("reader", Role.AUDITOR))
    body = client.get("/api/v1/audit/entries", {"limit": 2}).json()
    assert len(body["items"]) == 2
    assert body["count"] > 2
    assert body["items"][0]["seq"] > body["items"][1]["seq"]


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.DUTY])
def test_other_roles_are_refused(client, make_user, role):
    client.force_login(make_user("nosy", role))
    response = client.get("/api/v1/audit/entries")
    assert response.status_code == 403
    assert "审计日志" in problems(response)[""]


def test_anonymous_caller_must_authenticate(client):
    assert client.get("/api/v1/audit/entries").status_code == 401


def test_admin_site_shows_the_log_but_not_even_an_admin_can_change_it(client, make_user, wang):
    client.force_login(make_user("chief", Role.ADMIN))
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    page = client.get("/admin/audit/auditentry/1/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post("/admin/audit/auditentry/1/delete/").status_code == 403


def test_log_command_lists_newest_entries_of_a_model(wang):
    User.objects.create_user("li")
    out = io.StringIO()
    call_command("audit", "log", "--model", "auth.User", "--limit", "2", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "system create auth.user#" in lines[0] and " li " in lines[0]
    assert 'cli update auth.user#' in lines[1] and '"email": ["", "wang@hospital.cn"]' in lines[1]


def test_auditor_reads_the_log_in_the_admin_site(client, make_user, wang):
    client.force_login(make_user("reader", Role.AUDITOR))
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
