"""Who may reach what: login everywhere, roles checked on the server, throttled logins."""
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from lifeline.accounts.models import ApiToken
from lifeline.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/plans/", "/people/", "/people/roster/"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={path}")


def test_health_check_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_passwords_are_hashed_with_argon2(make_user):
    assert make_user("duty1", Role.DUTY).password.startswith("argon2")


def test_department_user_cannot_reach_admin(client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_auditor_reads_admin_but_cannot_change_users(client, make_user):
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/add/").status_code == 403


def test_repeated_failed_logins_lock_the_account(client, make_user):
    make_user("duty1", Role.DUTY)
    for _ in range(5):
        client.post(reverse("login"), {"username": "duty1", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(reverse("login"), {"username": "duty1", "password": "correct-horse-9"},
                           REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_token_command_prints_a_working_token(client, make_user):
    make_user("robot", Role.DUTY)
    out = io.StringIO()
    call_command("token", "create", "--user", "robot", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert client.get("/api/v1/openapi.json").status_code == 401
    response = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Lifeline API"


def test_revoked_or_wrong_token_is_refused(client, make_user):
    token, key = ApiToken.objects.issue(make_user("robot", Role.DUTY))
    token.revoked = True
    token.save()
    assert client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer ll_nonsense").status_code == 401


def test_token_for_unknown_user_names_the_field(make_user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--user: no user named 'ghost'"):
        call_command("token", "create", "--user", "ghost")
    assert ApiToken.objects.count() == 0


def test_issuing_and_revoking_a_token_is_audited_without_the_secret(make_user):
    from lifeline.audit.models import AuditEntry
    from lifeline.audit.services import history

    make_user("robot", Role.DUTY)
    out = io.StringIO()
    call_command("token", "create", "--user", "robot", "--name", "监控脚本", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get()
    call_command("token", "revoke", token.prefix, stdout=io.StringIO())
    token.refresh_from_db()
    token.last_used_at = token.created_at
    token.save()  # a use is not a change to the token: nothing recorded

    created, revoked = history(token)
    assert (created.action, created.object_type, revoked.object_id) == ("create", "accounts.apitoken", str(token.pk))
    assert created.changes["name"] == "监控脚本" and created.changes["key_hash"] == "***"
    assert (revoked.action, revoked.changes) == ("update", {"revoked": [False, True]})
    logged = str(list(AuditEntry.objects.values_list("changes", "object_repr")))
    assert key not in logged and key[10:] not in logged and token.key_hash not in logged
