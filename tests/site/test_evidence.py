"""`lifeline evidence`: the evidence pack of a demo month opens, and its index lists every item
with its path in the zip, mapped to the checklist items."""
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from lifeline.backups import demo as backups_demo
from lifeline.core.actor import acting_as
from lifeline.drills import demo as drills_demo
from lifeline.inspections import demo as inspections_demo
from lifeline.plans import services as plans
from lifeline.site.evidence_map import ANSWERS, CLAUSES
from tests.analysis.conftest import load_seed, on_duty, resolved, t0  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_month(resolved, tmp_path, settings):  # noqa: F811 (the fixture imported above)
    """Seed 002's incident resolved on 2026-11-23, then the demo's plans, drills (one a month
    back), inspection rounds, backup catalogue and weekly restore runs."""
    settings.DATA_DIR = tmp_path
    with acting_as("demo"):
        plans.load_bundled()
        drills_demo.load_demo()
        inspections_demo.load_demo()
        backups_demo.load_demo(tmp_path)
    return resolved


def pdf_text(data: bytes) -> str:
    """The text of a PDF without whitespace: table cells wrap paths and clause numbers anywhere."""
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def run(*args) -> str:
    out = io.StringIO()
    call_command("evidence", *args, stdout=out)
    return out.getvalue()


def test_the_pack_of_a_demo_month_lists_every_item_where_it_is_in_the_zip(demo_month, tmp_path):
    target = tmp_path / "pack.zip"
    run("--from", "2026-10-24", "--to", "2026-11-23", "-o", str(target))
    with zipfile.ZipFile(target) as pack:
        names = set(pack.namelist())
        index = json.loads(pack.read("index.json"))
        text = pdf_text(pack.read("index.pdf"))
        items = index["items"]
        assert {item["path"] for item in items} <= names
        assert names - {item["path"] for item in items} == {"index.json", "index.pdf"}
        for item in items:
            assert item["path"] in text, item["path"]
            if item["path"].endswith(".pdf"):
                assert pack.read(item["path"]).startswith(b"%PDF")
        verification = pack.read("audit/verification.txt").decode()
    kinds = {item["kind"] for item in items}
    assert kinds == set(ANSWERS)  # plans, a drill, inspections, backups, restore runs, the incident, the audit log
    plan = next(item for item in items if item["kind"] == "plan")
    assert {"version", "sha256", "review_date"} <= set(plan["facts"])
    assert "plans/versions.pdf" in names
    assert f"incidents/{demo_month.pk}-analysis.pdf" in names
    restores = next(item for item in items if item["kind"] == "restore")
    assert restores["facts"]["runs"] >= 4 and 0 < restores["facts"]["passed"] < restores["facts"]["runs"]
    assert sum(item["kind"] == "drill" for item in items) == 1
    assert "完整" in verification or "intact" in verification
    audit = next(item for item in items if item["kind"] == "audit")
    assert audit["facts"]["ok"] and audit["facts"]["checked"] > 0
    assert "GB/T 22239-2019 8.1.10.13 c" in next(i for i in items if i["kind"] == "drill")["clauses"]
    for clause in CLAUSES:
        assert clause.number.replace(" ", "") in text


@pytest.mark.parametrize(("args", "named"), [
    (["--from", "2026-11-30", "--to", "2026-11-01"], "--to"),
    (["--from", "2026-13-01", "--to", "2026-11-30"], "--from"),
    (["--from", "2026-11-01", "--to", "next week"], "--to"),
    (["--from", "2026-11-01", "--to", "2026-11-30", "-o", "/no/such/dir/pack.zip"], "--output"),
])
def test_bad_dates_name_the_option_exit_2_and_write_nothing(tmp_path, args, named):
    target = tmp_path / "pack.zip"
    with pytest.raises(CommandError) as refused:
        run(*args, *([] if "-o" in args else ["-o", str(target)]))
    assert str(refused.value).startswith(named) and refused.value.returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_a_failure_half_way_leaves_no_file(db, tmp_path, monkeypatch):
    from lifeline.site import evidence

    def broken(period):
        yield from ()
        raise RuntimeError("disk full")

    monkeypatch.setattr(evidence, "COLLECTORS", [*evidence.COLLECTORS[:1], broken])
    with pytest.raises(RuntimeError):
        run("--from", "2026-11-01", "--to", "2026-11-30", "-o", str(tmp_path / "pack.zip"))
    assert list(tmp_path.iterdir()) == []


def test_a_broken_chain_names_the_first_bad_entry(db, tmp_path, monkeypatch):
    from lifeline.audit import services as audit
    from lifeline.site import evidence

    monkeypatch.setattr(evidence, "COLLECTORS", [evidence._audit])
    monkeypatch.setattr(audit, "verify", lambda: audit.VerifyResult(False, 41, broken_seq=42,
                                                                  reason="hash mismatch (row changed)"))
    run("--from", "2026-11-01", "--to", "2026-11-30", "-o", str(tmp_path / "pack.zip"))
    with zipfile.ZipFile(tmp_path / "pack.zip") as pack:
        verification = pack.read("audit/verification.txt").decode()
        facts = json.loads(pack.read("index.json"))["items"][0]["facts"]
    assert "42" in verification and "hash mismatch (row changed)" in verification
    assert facts["ok"] is False and facts["broken_seq"] == 42 and facts["checked"] == 41
