"""`lifeline compare`: an old system on MariaDB against its migrated copy on PostgreSQL.

The copy holds 50 planted differences among rows that are stored differently but mean the
same; the comparison finds exactly those 50, drilling through small ranges so that halving
is exercised.
"""
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from lifeline.cutover import services
from lifeline.cutover.compare import CompareError, compare, load_spec
from lifeline.cutover.compare.report import HEADER
from tests.cutover import planted
from tests.cutover.board import PLANNED, go_live


@pytest.fixture(scope="module")
def systems():
    """(old URL on MariaDB, new URL on PostgreSQL, the planted differences)."""
    old_db, new_db = planted.database("mariadb", "src"), planted.database("postgresql", "tgt")
    old_url, new_url = next(old_db), next(new_db)
    patients, stock = planted.old_rows()
    planted.create_old(old_url, patients, stock)
    new_patients, new_stock, differences = planted.plant(*planted.migrated(patients, stock))
    planted.create_new(new_url, new_patients, new_stock)
    yield old_url, new_url, differences
    for generator in (old_db, new_db):
        generator.close()


def spec_file(tmp_path, range_rows=400, leaf_rows=40, text=None):
    path = tmp_path / "compare.yaml"
    path.write_text(text or planted.SPEC.format(range_rows=range_rows, leaf_rows=leaf_rows), encoding="utf-8")
    return path


def found(report):
    return {(table.name, d.kind, d.key) for table in report.tables for d in table.all_differences()}


@pytest.mark.parametrize(("range_rows", "leaf_rows"), [(400, 40), (100_000, 1), (2, 1)])
def test_finds_exactly_the_planted_differences(systems, tmp_path, range_rows, leaf_rows):
    old_url, new_url, differences = systems
    report = compare(old_url, new_url, load_spec(spec_file(tmp_path, range_rows, leaf_rows)))
    assert len(differences) == 50
    assert found(report) == differences
    patients, stock = report.tables
    assert (patients.source_rows, patients.target_rows) == (planted.PATIENTS, planted.PATIENTS - 10 + 8)
    assert patients.counts == {"missing": 10, "extra": 8, "changed": 13}
    assert stock.counts == {"missing": 6, "extra": 7, "changed": 6}


def test_changed_rows_name_their_columns(systems, tmp_path):
    old_url, new_url, _differences = systems
    report = compare(old_url, new_url, load_spec(spec_file(tmp_path)))
    changed = {d.key: d for d in report.tables[0].of_kind("changed")}
    assert changed[("1500",)].columns == ("patient_name",)  # the old system's name
    assert changed[("1500",)].target[0] == "改名"
    assert changed[("1600",)].columns == ("phone",)
    assert changed[("1700",)].columns == ("balance",)
    assert changed[("2800",)].columns == ("registered_at",)


def test_drills_instead_of_rereading_everything(systems, tmp_path):
    old_url, new_url, _differences = systems
    report = compare(old_url, new_url, load_spec(spec_file(tmp_path, range_rows=1_000, leaf_rows=20)))
    patients, stock = report.tables
    assert patients.ranges == 3
    assert (stock.ranges, stock.ranges_differing) == (2, 2)
    # Halving a differing range reads about its rows again on each side (the first halves all the
    # way down, then the leaves), never the table over and over.
    assert stock.rows_reread <= 2 * 2 * 1_000 * stock.ranges_differing


def new_against_itself(tmp_path):
    """A spec comparing the new system with itself."""
    text = planted.SPEC.format(range_rows=400, leaf_rows=40)
    return spec_file(tmp_path, text=text.replace("source: his_patient", "source: patient")
                     .replace("source: patient_name", "source: name"))


def test_same_tables_compare_equal(systems, tmp_path):
    _old_url, new_url, _differences = systems
    report = compare(new_url, new_url, load_spec(new_against_itself(tmp_path)))
    assert found(report) == set()
    assert not report.exceeds_tolerance


def test_command_prints_summary_writes_excel_and_fails_over_tolerance(systems, tmp_path, capsys):
    old_url, new_url, differences = systems
    output = tmp_path / "differences.xlsx"
    with pytest.raises(SystemExit) as exit:
        call_command("compare", "--source", old_url, "--target", new_url, "--spec", str(spec_file(tmp_path)),
                     "-o", str(output))
    assert exit.value.code == 1
    out = capsys.readouterr()
    assert "patients: source 3000 rows, target 2998 rows; 10 missing, 8 extra, 13 changed (over tolerance" in out.out
    assert "stock: source 2000 rows, target 2001 rows; 6 missing, 7 extra, 6 changed (over tolerance: 5" in out.out
    assert "changed: key 1500: patient_name '患者01500' -> '改名'" in out.out
    assert "differences exceed the tolerance" in out.err
    rows = list(load_workbook(output).active.iter_rows(values_only=True))
    assert rows[0] == HEADER
    assert len(rows) == 1 + len(differences)


def test_within_tolerance_exits_zero(systems, tmp_path, capsys):
    _old_url, new_url, _differences = systems
    call_command("compare", "--source", new_url, "--target", new_url, "--spec", str(new_against_itself(tmp_path)))
    assert "0 missing, 0 extra, 0 changed (within tolerance" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "expected"), [
    ("tables:\n  - name: p\n    source: t\n    key: []\n",
     "compare.yaml:4: tables[0].key: List should have at least 1"),
    ("tables:\n  - name: p\n    source: t\n    key: [id]\n    colums: [a]\n",
     "compare.yaml:5: tables[0].colums: unknown field"),
    ("tables:\n  - name: p\n    source: t\n    key: [id]\n    columns:\n      - {name: a, decimal: -1}\n",
     "compare.yaml:6: tables[0].columns[0].decimal: Input should be greater than or equal to 0"),
    ("tables:\n  - name: p\n    source: t\n    key: [{name: d, zone: Mars/Base}]\n",
     "compare.yaml:4: tables[0].key[0].zone: unknown time zone 'Mars/Base'"),
    ("tables: [\n", "compare.yaml:2: yaml: not valid YAML"),
])
def test_bad_spec_names_line_and_field(tmp_path, capsys, text, expected):
    with pytest.raises(SystemExit) as exit:
        call_command("compare", "--source", "sqlite://", "--target", "sqlite://",
                     "--spec", str(spec_file(tmp_path, text=text)))
    assert exit.value.code == 2
    assert expected in capsys.readouterr().err


def test_bad_url_is_a_clear_error(systems, tmp_path, capsys):
    old_url, _new_url, _differences = systems
    for url, expected in [("not a url", "--target: 'not a url' is not a database URL"),
                          ("postgresql://postgres@127.0.0.1:1/x", "--target: cannot connect to postgresql")]:
        with pytest.raises(SystemExit) as exit:
            call_command("compare", "--source", old_url, "--target", url, "--spec", str(spec_file(tmp_path)))
        assert exit.value.code == 2
        err = capsys.readouterr().err
        assert expected in err
        assert "Traceback" not in err


def test_missing_table_and_column_name_the_spec_line(systems, tmp_path):
    old_url, new_url, _differences = systems
    text = planted.SPEC.format(range_rows=400, leaf_rows=40)
    with pytest.raises(CompareError, match=r"compare.yaml:6: tables\[0\].target: no table 'patients'"):
        compare(old_url, new_url, load_spec(spec_file(tmp_path, text=text.replace("target: patient\n",
                                                                                 "target: patients\n"))))
    with pytest.raises(CompareError, match=r"compare.yaml:10: tables\[0\].columns\[1\]: no column 'fone' in source"):
        compare(old_url, new_url, load_spec(spec_file(tmp_path, text=text.replace("- phone", "- fone"))))
    with pytest.raises(CompareError, match=r"compare.yaml:4: tables\[0\]: the database refused a query"):
        compare(old_url, new_url, load_spec(spec_file(tmp_path, text=text.replace("patient_id > 0", "nonsense >"))))


def test_compare_is_django_free():
    code = "import sys, lifeline.cutover.compare; print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


@pytest.mark.django_db
def test_summary_attaches_to_a_rehearsal(systems, tmp_path, capsys):
    old_url, new_url, _differences = systems
    rehearsal = services.add_rehearsal(go_live(), started_at=PLANNED, ended_at=PLANNED + timedelta(hours=1),
                                       table_rows={"patient": 3000})
    with pytest.raises(SystemExit):
        call_command("compare", "--source", old_url, "--target", new_url, "--spec", str(spec_file(tmp_path)),
                     "--rehearsal", str(rehearsal.pk))
    rehearsal.refresh_from_db()
    assert [(t["table"], t["missing"], t["extra"], t["changed"]) for t in rehearsal.comparison] == [
        ("patients", 10, 8, 13), ("stock", 6, 7, 6)]
    assert "50" in rehearsal.cutover.events.last().text
