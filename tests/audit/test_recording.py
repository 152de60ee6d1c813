"""Every change to users, role groups, people and plans lands in the audit log: who, when, what."""
import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from lifeline.accounts.roles import Role
from lifeline.audit.keys import chain_key
from lifeline.audit.middleware import ActorMiddleware
from lifeline.audit.models import AuditEntry
from lifeline.audit.services import history, verify
from lifeline.core.actor import acting_as
from lifeline.people.models import ContactChannel, Member
from lifeline.plans.services import bundled_paths, load_files

pytestmark = pytest.mark.django_db


def changes_of(obj):
    return [(e.action, e.changes) for e in history(obj)]


def test_creating_a_user_records_actor_time_and_values_but_no_password(clock, make_user):
    admin = make_user("chief", Role.ADMIN)
    with acting_as(admin):
        user = User.objects.create_user("wang", email="wang@hospital.cn", password="s3cret-Pass")

    entry = history(user).get()
    assert (entry.action, entry.actor, entry.actor_label, entry.at) == ("create", admin, "chief", clock.now())
    assert entry.object_type == "auth.user"
    assert entry.object_repr == "wang"
    assert entry.changes["email"] == "wang@hospital.cn"
    assert entry.changes["password"] == "***"
    assert "s3cret" not in str(entry.changes)


def test_update_records_only_the_changed_fields(make_user):
    user = make_user("wang")
    user.email, user.first_name = "wang@hospital.cn", "Wei"
    with acting_as("cli"):
        user.save()
    user.save()  # nothing changed: nothing recorded

    assert changes_of(user)[1:] == [("update", {"email": ["", "wang@hospital.cn"], "first_name": ["", "Wei"]})]
    assert history(user).last().actor_label == "cli"


def test_password_change_is_recorded_without_the_value(make_user):
    user = make_user("wang")
    user.set_password("another-horse-7")
    user.save()

    assert changes_of(user)[-1] == ("update", {"password": "***changed***"})


def test_delete_records_the_last_values(make_user):
    user = make_user("wang")
    user.email = "wang@hospital.cn"
    user.save()
    pk = user.pk
    with acting_as("worker"):
        user.delete()

    entry = AuditEntry.objects.get(object_type="auth.user", object_id=str(pk), action="delete")
    assert entry.actor_label == "worker"
    assert entry.changes["email"] == "wang@hospital.cn"
    assert entry.changes["username"] == "wang"


def test_role_membership_is_recorded_on_the_user_from_either_side(make_user):
    user = make_user("wang")
    auditors, duty = Group.objects.get(name=Role.AUDITOR), Group.objects.get(name=Role.DUTY)

    user.groups.add(auditors)
    duty.user_set.add(user)
    auditors.user_set.remove(user)
    user.groups.clear()

    assert changes_of(user)[1:] == [
        ("update", {"groups": [[], ["审计"]]}),
        ("update", {"groups": [["审计"], ["值班", "审计"]]}),
        ("update", {"groups": [["值班", "审计"], ["值班"]]}),
        ("update", {"groups": [["值班"], []]}),
    ]


def test_changes_without_an_actor_are_the_systems(make_user):
    user = make_user("wang")
    assert history(user).get().actor_label == "system"


def test_changes_during_a_request_are_the_request_users(make_user, rf: RequestFactory):
    robot = make_user("robot", Role.DUTY)

    def view(request):
        request.user = robot  # as bearer-token authentication does, inside the view
        Group.objects.create(name="夜班")
        return HttpResponse()

    ActorMiddleware(view)(rf.post("/api/v1/anything"))
    Group.objects.create(name="after the request")

    assert AuditEntry.objects.get(object_repr="夜班").actor == robot
    assert AuditEntry.objects.get(object_repr="after the request").actor_label == "system"


def test_admin_site_change_is_recorded_with_the_logged_in_user(client, make_user):
    chief = make_user("chief", Role.ADMIN)
    client.force_login(chief)
    response = client.post("/admin/auth/group/add/", {"name": "信息科"})
    assert response.status_code == 302

    entry = history(Group.objects.get(name="信息科")).get()
    assert (entry.actor, entry.changes) == (chief, {"name": "信息科"})


def test_people_are_audited_and_channel_urls_never_written(clock):
    member = Member.objects.create(name="张伟", phone="13800001111")
    channel = ContactChannel.objects.create(member=member, kind="wecom", url="wxwork://corp/secret-webhook-key")
    clock.advance(minutes=5)
    member.department = "信息科"
    member.save()

    assert changes_of(member) == [
        ("create", {"name": "张伟", "phone": "13800001111", "department": "", "title": "", "user": None,
                    "active": True}),
        ("update", {"department": ["", "信息科"]}),
    ]
    assert history(member).last().at == clock.now()
    assert history(channel).get().changes["url"] == "***"


def test_rolled_back_change_leaves_no_entry(make_user):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_user("ghost")
        raise RuntimeError("the request failed")

    assert AuditEntry.objects.count() == before
    assert not User.objects.filter(username="ghost").exists()
    assert verify().ok


def test_entries_chain_in_order(make_user):
    make_user("wang", Role.DUTY)
    entries = list(AuditEntry.objects.order_by("seq"))

    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:], strict=False))
    key = chain_key()
    assert all(e.hash == e.compute_hash(key) for e in entries)  # signed with the audit key


def test_loading_a_plan_records_its_text_by_digest(make_user):
    chief = make_user("chief", Role.COMMANDER)
    with acting_as(chief):
        version = load_files(bundled_paths()[:1], user=chief)[0]

    created = history(version).first()
    assert (created.action, created.actor) == ("create", chief)
    assert created.changes["source"].startswith("sha256:")
    assert created.changes["sha256"] == version.sha256
    assert history(version.plan).get().changes["name"] == version.plan.name
    assert verify().ok
