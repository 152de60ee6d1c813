"""Loading plan files: checked first, stored as versions, one active, history kept and unchangeable."""
import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from lifeline.accounts.roles import Role
from lifeline.plans import services
from lifeline.plans.models import Plan, PlanVersion
from tests.plans.sample import PLAN_YAML, THREE_ERRORS, planted

pytestmark = pytest.mark.django_db

CHANGED = planted(PLAN_YAML, ('version: "2024.1"', 'version: "2024.2"'),
                  ("name: 示范医院HIS系统故障应急预案", "name: 示范医院HIS及电子病历故障应急预案"))


def run(*args):
    out = io.StringIO()
    call_command("plan", *map(str, args), stdout=out)
    return out.getvalue()


def test_load_stores_version_1_active(write_plan, make_user):
    loader = make_user("zhang")
    out = run("load", write_plan(PLAN_YAML), "--user", "zhang")
    assert out.strip() == "demo-his v1 active"
    version = services.active_version("demo-his")
    assert (version.number, version.loaded_by, version.source) == (1, loader, PLAN_YAML)
    assert version.content.scenarios[0].steps[1].title == "切换备库"
    assert Plan.objects.get().name == "示范医院HIS系统故障应急预案"


def test_changed_text_becomes_version_2_and_version_1_stays_readable(write_plan):
    run("load", write_plan(PLAN_YAML))
    run("load", write_plan(CHANGED, "changed.yaml"))
    assert services.active_version("demo-his").number == 2
    first = PlanVersion.objects.get(plan_id="demo-his", number=1)
    assert first.is_active is False
    assert first.content.version == "2024.1" and first.source == PLAN_YAML
    assert Plan.objects.get().name == "示范医院HIS及电子病历故障应急预案"
    listing = run("list")
    assert "* active  v2" in listing and "v1" in listing


def test_loading_the_same_text_again_makes_no_new_version(write_plan):
    path = write_plan(PLAN_YAML)
    first = services.load_files([path])[0]
    again = services.load_files([path])[0]
    assert again.pk == first.pk
    assert PlanVersion.objects.count() == 1


def test_no_activate_keeps_the_current_version_and_activate_switches(write_plan):
    run("load", write_plan(PLAN_YAML))
    assert run("load", "--no-activate", write_plan(CHANGED, "changed.yaml")).strip() == "demo-his v2 stored"
    assert services.active_version("demo-his").number == 1
    assert run("activate", "demo-his", 2).strip() == "demo-his v2 active"
    assert list(PlanVersion.objects.filter(is_active=True).values_list("number", flat=True)) == [2]
    with pytest.raises(CommandError, match="plan 'demo-his' has no version 7"):
        run("activate", "demo-his", 7)


def test_the_first_version_of_a_plan_is_active_even_with_no_activate(write_plan):
    assert run("load", "--no-activate", write_plan(PLAN_YAML)).strip() == "demo-his v1 active"


def test_a_bad_file_stores_nothing_not_even_the_good_files_beside_it(write_plan):
    good, bad = write_plan(CHANGED, "good.yaml"), write_plan(THREE_ERRORS, "bad.yaml")
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 problem.* nothing stored"):
        call_command("plan", "load", str(good), str(bad), stdout=out)
    assert out.getvalue().count(f"{bad}:") == 3
    assert PlanVersion.objects.count() == 0 and Plan.objects.count() == 0


def test_a_bad_file_leaves_the_active_version_alone(write_plan):
    run("load", write_plan(PLAN_YAML))
    with pytest.raises(services.PlanInvalid) as caught:
        services.load_files([write_plan(THREE_ERRORS, "bad.yaml")])
    assert len(caught.value.problems) == 3
    assert PlanVersion.objects.count() == 1
    assert services.active_version("demo-his").number == 1


def test_a_stored_version_cannot_be_changed_or_deleted(write_plan):
    version = services.load_files([write_plan(PLAN_YAML)])[0]
    version.source = "id: hacked"
    with pytest.raises(PlanVersion.Immutable):
        version.save()
    with pytest.raises(PlanVersion.Immutable):
        version.save(update_fields=["source"])
    with pytest.raises(PlanVersion.Immutable):
        PlanVersion.objects.filter(pk=version.pk).update(source="id: hacked")
    with pytest.raises(PlanVersion.Immutable):
        version.delete()
    with pytest.raises(PlanVersion.Immutable):
        PlanVersion.objects.all().delete()
    assert PlanVersion.objects.get().source == PLAN_YAML


def test_the_database_allows_one_active_version_per_plan(write_plan):
    services.load_files([write_plan(PLAN_YAML)])
    services.load_files([write_plan(CHANGED, "changed.yaml")], activate=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.update(is_active=True)


def test_active_plans_and_a_missing_plan():
    assert services.active_plans() == []
    with pytest.raises(PlanVersion.DoesNotExist):
        services.active_version("demo-his")


def test_admin_shows_versions_read_only_and_activates_one(client, make_user, write_plan):
    services.load_files([write_plan(PLAN_YAML)])
    second = services.load_files([write_plan(CHANGED, "changed.yaml")], activate=False)[0]
    client.force_login(make_user("zhang", Role.COMMANDER))
    page = client.get(f"/admin/plans/planversion/{second.pk}/change/")
    assert page.status_code == 200 and "2024.2" in page.content.decode()
    assert b'name="source"' not in page.content  # shown, not editable
    response = client.post("/admin/plans/planversion/", {"action": "activate", "_selected_action": [second.pk]})
    assert response.status_code == 302
    assert services.active_version("demo-his").number == 2


def test_plan_print_writes_the_binder_of_a_loaded_plan(write_plan, tmp_path):
    services.load_files([write_plan(PLAN_YAML)])
    target = tmp_path / "binder.docx"
    assert run("print", "demo-his", "--format", "docx", "-o", target).strip() == f"{target} written (docx)"
    with zipfile.ZipFile(target) as docx:
        assert "示范医院HIS系统故障应急预案" in docx.read("word/document.xml").decode()
