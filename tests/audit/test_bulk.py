"""Bulk updates through audited_update reach the audit log, one entry per changed row, secrets masked."""
import pytest

from lifeline.audit.bulk import audited_update
from lifeline.audit.services import history, verify
from lifeline.people.models import ContactChannel, Member

pytestmark = pytest.mark.django_db


def test_each_changed_row_gets_one_entry_and_unrecorded_fields_none():
    wang = Member.objects.create(name="王", phone="13900000001", title="工程师")
    li = Member.objects.create(name="李", phone="13900000002", title="主任")
    assert audited_update(Member.objects.filter(pk__in=[wang.pk, li.pk]), title="主任") == 2
    assert history(wang).last().changes == {"title": ["工程师", "主任"]}
    assert history(li).last().action == "create"  # its title did not change
    assert audited_update(Member.objects.filter(pk=li.pk), unrecorded={"department"}, department="信息中心") == 1
    assert history(li).count() == 1
    assert audited_update(Member.objects.none(), title="x") == 0
    assert verify().ok


def test_secret_values_are_masked():
    member = Member.objects.create(name="王", phone="13900000001")
    channel = ContactChannel.objects.create(member=member, order=0, kind="wecom", url="wecombot://old-key")
    audited_update(ContactChannel.objects.filter(pk=channel.pk), url="wecombot://new-key")
    assert history(channel).last().changes == {"url": "***changed***"}
