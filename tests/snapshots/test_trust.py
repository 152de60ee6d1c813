"""Snapshots a hospital can trust on its own HIS (issue 14), on a normalised HIS of the tests'
own making (normalised_his.py: person, person_name, identifier and attribute tables, a dated
price table, rows voided rather than deleted) on SQLite, PostgreSQL and MariaDB:

- a systematically bad column is refused before publishing, the previous package stays, and an
  alarm says why; so is an entity that shrank sharply;
- a row stamped in the future neither freezes its entity nor goes unreported;
- a child row voided without touching its parent is found by the next full build's drift check
  (and by `check-drift`), which raises an alarm;
- a bad optional field with `on_invalid: null` keeps the patient findable.
"""
import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from lifeline.core import alarms
from lifeline.his.canonical import id_card_check_digit
from lifeline.package import container
from lifeline.snapshots import builder, guard, storage
from lifeline.snapshots.models import BuildProblem, SnapshotBuild
from tests.his import normalised_his
from tests.snapshots.helpers import applied_rows, assert_same_rows, source_rows

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

PATIENTS = 400


class NormalisedHis:
    def __init__(self, url: str, tmp_path):
        self.url, self.tmp_path = url, tmp_path
        self.counts = normalised_his.build(url, PATIENTS)

    def mapping(self, name="his.yaml", **options):
        path = self.tmp_path / name
        path.write_text(normalised_his.mapping_text(self.url, **options), encoding="utf-8")
        return path

    def execute(self, sql: str, **params) -> int:
        return normalised_his.execute(self.url, sql, **params)

    def now(self) -> datetime.datetime:
        value = normalised_his.scalar(self.url, "SELECT " + normalised_his.now_sql(self.dialect))
        return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value

    @property
    def dialect(self) -> str:
        return self.url.split(":")[0].split("+")[0].replace("mysql", "mariadb")


@pytest.fixture
def his(his_url, tmp_path):
    """A fresh normalised HIS for each test (its tables re-created in the module's database)."""
    return NormalisedHis(his_url, tmp_path)


@pytest.fixture
def raised():
    """The alarms raised, as (source, fingerprint, firing, summary)."""
    found = []

    def receive(sender, *, source, fingerprint, firing, summary, labels, **kwargs):
        found.append((source, fingerprint, firing, summary))

    alarms.alarm.connect(receive, dispatch_uid="tests.snapshots.test_trust")
    yield found
    alarms.alarm.disconnect(dispatch_uid="tests.snapshots.test_trust")


def last(raised, which) -> tuple:
    return [a for a in raised if (a[0], a[1]) == which][-1]


def card(person_id: int) -> str:
    return normalised_his.card_no(person_id)


def patients(rows) -> dict:
    return {row[0]: row for row in rows["patient"]}


def test_the_normalised_his_builds_and_applies_to_its_rows(his, snapshot_dir, tmp_path, db):
    path = his.mapping()
    call_command("his", "check", str(path), "--connect", "--all", stdout=io.StringIO())
    record = builder.build(path)
    assert record.status == "published" and record.row_counts["patient"] == PATIENTS
    assert record.row_counts["invoice_range"] == 0, "a HIS without invoice ranges: a query that yields none"
    assert record.problem_summary == [] and record.watermark_ahead == {} and record.drift is None
    assert_same_rows(applied_rows(tmp_path), source_rows(builder.load_mapping(path)))


def test_a_systematically_bad_column_is_refused_and_the_previous_package_stays(his, snapshot_dir, tmp_path, db,
                                                                               raised):
    good = builder.build(his.mapping())
    kept = applied_rows(tmp_path)
    raw_sex = his.mapping("raw-sex.yaml", sex="p.gender", extra={"patient": "on_invalid_row: skip"})
    with pytest.raises(builder.BuildFailed) as failed:
        builder.build(raw_sex)
    record = failed.value.record
    assert record.status == SnapshotBuild.Status.REFUSED and not record.path and record.size_bytes is None
    assert str(failed.value).startswith("snapshot package refused, not published:\npatient: 400 of its 400 rows in the "
                                        "HIS left out for bad values (100.0%), more than the 1% allowed "
                                        "(entities.patient.limits.max_skipped)")
    assert str(failed.value).endswith(f"the last good package stays published: {good.package_id}")
    # The stations keep getting the last good package.
    assert [p.package_id for p in builder.latest_chain()] == [good.package_id]
    assert_same_rows(applied_rows(tmp_path), kept)
    assert list(storage.work_root().iterdir()) == []
    # The problem can be read: per field, and every row.
    assert [(s["entity"], s["field"], s["outcome"], s["count"]) for s in record.problem_summary] == [
        ("patient", "sex", "skipped", PATIENTS)]
    assert record.skipped_count == PATIENTS and record.problems.count() == PATIENTS
    assert record.problems.get(key=card(1)).reason in ("'M' is not one of 0, 1, 2, 9", "'F' is not one of 0, 1, 2, 9")
    source, fingerprint, firing, summary = last(raised, guard.REFUSED)
    assert firing and summary.startswith(f"Snapshot package {record.package_id} refused, {good.package_id} stays "
                                         f"published: patient: 400 of its 400 rows")
    # Mapped right, the next build publishes and the alarm is resolved.
    fixed = builder.build(his.mapping())
    assert fixed.status == "published" and last(raised, guard.REFUSED)[2] is False


def test_an_entity_that_shrank_sharply_is_refused_unless_the_mapping_allows_it(his, snapshot_dir, tmp_path, db):
    path = his.mapping()
    good = builder.build(path)
    assert his.execute("UPDATE person SET voided = 1, date_changed = {NOW} WHERE person_id > 100") == 300
    with pytest.raises(builder.BuildFailed, match=r"patient: 100 rows, 400 in the package it replaces \(75\.0% fewer\)"
                                                  r", more than the 50% allowed \(entities\.patient\.limits\."
                                                  r"max_shrink\)"):
        builder.build(path, incremental=True)
    assert [p.package_id for p in builder.latest_chain()] == [good.package_id]
    # A real purge: the mapping allows it for once (the chain is kept: limits are no row rule).
    allowed = his.mapping("purge.yaml", extra={"patient": "limits: {max_shrink: 80%}"})
    record = builder.build(allowed, incremental=True)
    assert record.kind == "incremental" and record.total_counts["patient"] == 100


def test_a_future_dated_row_neither_freezes_the_entity_nor_goes_unreported(his, snapshot_dir, tmp_path, db, raised):
    path = his.mapping()
    builder.build(path)
    # An application server writing local time into a UTC database: three prices 5 hours ahead.
    assert his.execute("UPDATE service_price SET price = price + 1, date_changed = {NOW+5h} "
                       "WHERE price_id IN (2, 4, 6)") == 3
    first = builder.build(path, incremental=True)
    ahead = first.watermark_ahead["price_item"]
    assert ahead["rows"] == 3 and sorted(ahead["keys"]) == ["S00001", "S00002", "S00003"]
    assert first.row_counts["price_item"] == 3
    kept = container.open_package(first.path).manifest["entities"]["price_item"]["watermark"]
    mark = datetime.datetime.fromisoformat(kept["value"].replace(".000000", ""))
    assert mark <= his.now(), "the watermark kept is at most the HIS's clock"
    source, fingerprint, firing, summary = last(raised, guard.AHEAD)
    assert firing and summary.startswith("HIS rows stamped ahead of the HIS's clock: price_item 3 rows")

    # 48 items repriced the ordinary way afterwards reach the stations.
    ids = ", ".join(str(2 * i) for i in range(10, 58))
    assert his.execute("UPDATE service_price SET price = price + 2, date_changed = {NOW} "
                       f"WHERE price_id IN ({ids})") == 48
    second = builder.build(path, incremental=True)
    assert second.row_counts["price_item"] == 48, "the future rows come again, unchanged: not stored again"
    assert second.watermark_ahead["price_item"]["rows"] == 3, "still reported while they are ahead"
    assert_same_rows(applied_rows(tmp_path), source_rows(builder.load_mapping(path)))
    output = io.StringIO()
    call_command("snapshot", "build", "--mapping", str(path), "--incremental", stdout=output)
    assert "price_item: 3 rows stamped ahead of the HIS's clock" in output.getvalue()


def test_a_voided_child_row_is_found_by_the_next_full_builds_drift_check(his, snapshot_dir, tmp_path, db, raised):
    path = his.mapping()
    full = builder.build(path)
    # Two phones voided without touching their person: the watermark does not move.
    assert his.execute("UPDATE person_attribute SET voided = 1, date_changed = {NOW} "
                       "WHERE attribute_type = 'PHONE' AND person_id IN (5, 6)") == 2
    assert his.execute("UPDATE person_name SET given_name = '新名', date_changed = {NOW} WHERE person_id = 7") == 1
    incremental = builder.build(path, incremental=True)
    assert incremental.row_counts["patient"] == 1, "only the renamed patient: the voided phones moved no watermark"
    chain = [p.package_id for p in builder.latest_chain()]
    assert chain == [full.package_id, incremental.package_id]

    # On demand, without publishing.
    found = builder.check_drift(path)
    assert found.drifted == {"patient": {"keys": 2, "examples": [card(5), card(6)]}}
    assert [p.package_id for p in builder.latest_chain()] == chain
    assert last(raised, guard.DRIFT)[2] is True
    output = io.StringIO()
    with pytest.raises(CommandError, match="has drifted from the HIS: patient"):
        call_command("snapshot", "check-drift", "--mapping", str(path), stdout=output)
    assert "Drift: patient: 2 keys differ from a fresh read of the HIS" in output.getvalue()

    # An ordinary change since the last incremental is not drift: an incremental would read it.
    assert his.execute("UPDATE person_name SET given_name = '又名', date_changed = {NOW} WHERE person_id = 8") == 1
    fresh = builder.build(path)
    assert fresh.drift["patient"] == {"keys": 2, "examples": [card(5), card(6)]}
    assert all(d["keys"] == 0 for name, d in fresh.drift.items() if name != "patient")
    source, fingerprint, firing, summary = last(raised, guard.DRIFT)
    assert firing and summary.startswith("The snapshot chain had drifted from the HIS (patient 2 keys differ")
    rows = patients(applied_rows(tmp_path))
    assert rows[card(5)][5] is None and rows[card(8)][1].endswith("又名")
    assert_same_rows(applied_rows(tmp_path), source_rows(builder.load_mapping(path)))

    # The new chain agrees with the HIS: the next full build resolves the alarm.
    again = builder.build(path)
    assert all(d["keys"] == 0 for d in again.drift.values()) and last(raised, guard.DRIFT)[2] is False


def test_a_bad_optional_field_with_on_invalid_null_keeps_the_patient_findable(his, snapshot_dir, tmp_path, db):
    wrong = "11010519491231002" + ("0" if id_card_check_digit("11010519491231002") != "0" else "1")
    his.execute("UPDATE identifier SET identifier = :id WHERE person_id = 11 AND identifier_type = 'ID_CARD'", id=wrong)
    his.execute("UPDATE person_attribute SET value = '无' WHERE person_id = 12 AND attribute_type = 'PHONE'")
    # As the mapping says by default (fail): the build fails, naming both rows.
    strict = his.mapping()
    with pytest.raises(builder.BuildFailed) as failed:
        builder.build(strict)
    assert f"patient {card(11)}: id_card_no: check digit is" in str(failed.value)
    assert f"patient {card(12)}: phone: a phone number has 5 to 20 digits" in str(failed.value)
    assert sorted(failed.value.record.problems.values_list("key", "outcome")) == [
        (card(11), "failed"), (card(12), "failed")]

    lenient = his.mapping("lenient.yaml", extra={"patient": "fields:\n  id_card_no: {on_invalid: null}\n"
                                                           "  phone: {on_invalid: null}"})
    record = builder.build(lenient)
    assert record.status == "published" and record.row_counts["patient"] == PATIENTS
    assert record.nulled_count == 2 and record.skipped_count == 0
    assert sorted(record.problems.values_list("key", "field", "outcome")) == [
        (card(11), "id_card_no", BuildProblem.Outcome.NULLED), (card(12), "phone", BuildProblem.Outcome.NULLED)]
    rows = patients(applied_rows(tmp_path))
    assert rows[card(11)][4] is None and rows[card(11)][5] is not None, "found by card, name and phone"
    assert rows[card(12)][5] is None and rows[card(12)][4] is not None
    output = io.StringIO()
    call_command("snapshot", "build", "--mapping", str(lenient), stdout=output)
    text = output.getvalue()
    assert "patient.id_card_no" in text and "patient.phone" in text and "/continuity/builds/" in text


def test_his_check_runs_the_value_checks_on_real_rows(his, db):
    raw_sex = his.mapping("raw-sex.yaml", sex="p.gender")
    output = io.StringIO()
    with pytest.raises(CommandError, match=r"raw-sex\.yaml: 256 rows checked; a build would fail \(patient\)"):
        call_command("his", "check", str(raw_sex), "--connect", "--sample", "50", "--problems", "3", stdout=output)
    text = output.getvalue()
    assert "patient: 50 rows checked" in text and "  sex: 50 bad values (a build fails)" in text
    assert text.count(": sex: '") == 3, "the first 3 problems"
    skip = his.mapping("skip.yaml", sex="p.gender", extra={"patient": "on_invalid_row: skip"})
    with pytest.raises(CommandError, match=r"or be refused \(patient\)"):
        call_command("his", "check", str(skip), "--connect", "--all", stdout=io.StringIO())
    good = io.StringIO()
    call_command("his", "check", str(his.mapping()), "--connect", "--all", stdout=good)
    assert f"patient: {PATIENTS:,} rows checked" in good.getvalue() and "a build would take them" in good.getvalue()


def test_a_watermark_column_missing_from_the_query_has_its_own_message(his, snapshot_dir, db):
    path = his.mapping()
    text = path.read_text(encoding="utf-8")
    assert "building AS location, date_changed AS his_modified" in text
    text = text.replace("building AS location, date_changed AS his_modified", "building AS location")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(builder.BuildFailed, match=r"department: the query yields no column his_modified, which "
                                                  r"entities\.department\.watermark names"):
        builder.build(path)
    output = io.StringIO()
    with pytest.raises(CommandError):
        call_command("his", "check", str(path), "--connect", stdout=output)
    assert "entities.department.query: department: the query yields no column his_modified, which" in output.getvalue()
    # NULL AS the watermark is not silently accepted either.
    path.write_text(text.replace("building AS location", "building AS location, NULL AS his_modified"))
    record = builder.build(path)
    assert "department: the watermark his_modified is NULL in every row" in record.note
