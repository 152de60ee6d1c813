"""docs/plans.md: how a hospital writes its own plan. Its field reference is generated from the
schema (`lifeline plan doc`), so a field added to the schema without a word here fails."""
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from lifeline.plans import lint, reference, schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "plans.md"


def test_every_field_of_the_schema_is_documented_and_nothing_else():
    assert reference.missing() == [], "describe these fields in FIELDS of lifeline/plans/reference.py"
    assert reference.stale() == [], "these entries of FIELDS name no field of the schema any more"
    assert all(effect in reference.EFFECTS for effect, _meaning, _example in reference.FIELDS.values())


def test_docs_plans_md_holds_what_plan_doc_prints():
    out = io.StringIO()
    call_command("plan", "doc", stdout=out)
    printed = out.getvalue()
    assert printed == reference.markdown()
    assert printed in DOC.read_text(encoding="utf-8"), "run `lifeline plan doc --write docs/plans.md`"


def test_the_reference_says_types_defaults_effects_and_examples():
    text = reference.markdown()
    row = next(line for line in text.splitlines() if line.startswith("| `users_pct` |"))
    assert "Percent (below)" in row and "decides" in row and "users_pct: {gt: 50}" in row
    assert "Where: `levels[].criteria.users_pct`." in text
    respond = next(line for line in text.splitlines() if line.startswith("| `respond` |"))
    assert "| duration | empty | fires |" in respond
    assert "| `rank` | whole number, ≥ 1 | **required** | decides |" in text
    assert "| `chain` | list of one of `on_duty`, `backup`, `group_lead`, `command_centre` |" in text
    for model in (schema.Plan, schema.Level, schema.Timer, schema.TimerAction, schema.DutyCard):
        assert f"### {model.__name__}\n" in text


@pytest.mark.parametrize("effect", sorted(reference.EFFECTS))
def test_each_effect_is_explained_above_the_tables(effect):
    assert f"- **{effect}**:" in reference.markdown()


def test_the_example_plan_in_the_docs_is_clean():
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"## A small plan that loads\n\n```yaml\n(.*?)```", text, re.S)[1]
    assert lint.check_text(example, "docs/plans.md") == []
    assert "users_pct" in example


def test_plan_doc_write_fills_the_markers(tmp_path):
    target = tmp_path / "plans.md"
    target.write_text(f"# Mine\n\nprose\n\n{reference.BEGIN}\nold\n{reference.END}\n\ntail\n", encoding="utf-8")
    call_command("plan", "doc", "--write", str(target), stdout=io.StringIO())
    written = target.read_text(encoding="utf-8")
    assert written.startswith("# Mine\n\nprose\n\n") and written.endswith("\n\ntail\n")
    assert reference.markdown() in written and "\nold\n" not in written


def test_a_misspelt_field_is_named_with_the_one_meant():
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S)[1].replace("users_pct: {gt: 50}", "user_pct: {gt: 50}")
    problems = lint.check_text(example, "mine.yaml")
    assert any(p.field == "levels[0].criteria.user_pct" and "did you mean 'users_pct'?" in p.reason
               for p in problems)
