"""Number leases (号段): ranges of a kind never overlap across stations, even when stations ask
at the same moment; a station running low gets a new range, one whose answer was lost gets the
same one again; every lease is in the audit log; bad input names the field. Ranges start above
the HIS's own numbers as the newest snapshot build read them (the mapping's sequences, on every
engine), plus the offset; a kind whose number no build has read is refused naming it."""
import datetime
import threading

import pytest
from django.db import OperationalError, connection

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.core import clock
from lifeline.his import demo_his, mapping
from lifeline.snapshots import builder
from lifeline.snapshots.models import SnapshotBuild
from lifeline.stations import leasing, registry
from lifeline.stations.models import NumberLease
from lifeline.workstation.leases import DEFAULT_OFFSET, KINDS
from lifeline.workstation.numbering import LOW_WATER
from tests.his.conftest import build_demo
from tests.stations.chains import bearer

URL = "/api/v1/continuity/stations/leases"
ALL_LOW = dict.fromkeys(KINDS, 0)


def renew(client, token, held=(), remaining=None):
    return client.post(URL, {"held": list(held), "remaining": ALL_LOW if remaining is None else remaining},
                       content_type="application/json", **bearer(token))


def assert_no_overlap(leases):
    for kind in KINDS:
        ranges = sorted((lease.first, lease.last) for lease in leases if lease.kind == kind)
        assert all(a_last < b_first for (_, a_last), (b_first, _) in zip(ranges, ranges[1:])), ranges


def patiently(grant):
    """The in-memory SQLite test database shares its cache between threads and answers a locked
    table at once, where a database file (as served) waits for the lock: try again until it is
    free. A grant that failed rolled back whole, so the ranges checked are the ones committed."""
    while True:
        try:
            return grant()
        except OperationalError as locked:
            if connection.vendor != "sqlite" or "locked" not in str(locked):
                raise


@pytest.mark.django_db(transaction=True)
def test_stations_leasing_at_the_same_moment_never_get_overlapping_ranges():
    stations = [registry.create(name=f"收费-{i:02d}", department="门诊收费")[0] for i in range(4)]
    start, failures = threading.Barrier(len(stations)), []

    def lease_many(station):
        try:
            start.wait()
            for _ in range(3):
                for kind in KINDS:
                    patiently(lambda kind=kind: leasing.grant(station, kind, clock.now(), size=100))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=lease_many, args=(s,)) for s in stations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    leases = list(NumberLease.objects.all())
    assert len(leases) == 4 * 3 * len(KINDS)
    assert_no_overlap(leases)
    for kind in KINDS:  # packed from the offset up, none lost
        ranges = sorted((lease.first, lease.last) for lease in leases if lease.kind == kind)
        assert ranges[0][0] == leasing.UNREAD + DEFAULT_OFFSET and ranges[-1][1] == ranges[0][0] + 12 * 100 - 1


@pytest.mark.django_db
def test_a_station_running_low_gets_a_new_range_and_a_lost_answer_is_answered_again(client):
    station, token = registry.create(name="挂号-01", department="门诊挂号")
    other, other_token = registry.create(name="挂号-02", department="门诊挂号")
    first = renew(client, token)
    assert first.status_code == 200, first.content
    granted = {lease["kind"]: lease for lease in first.json()}
    assert set(granted) == set(KINDS) and granted["visit"]["last"] - granted["visit"]["first"] + 1 == leasing.SIZE

    lost = renew(client, token)  # the station never received the first answer: same leases, no new ones
    assert lost.json() == first.json()

    held = [lease["lease_id"] for lease in first.json()]
    plenty = renew(client, token, held, dict.fromkeys(KINDS, LOW_WATER))
    assert plenty.json() == first.json()

    low = renew(client, token, held, {**dict.fromkeys(KINDS, LOW_WATER), "charge": LOW_WATER - 1})
    charges = [lease for lease in low.json() if lease["kind"] == "charge"]
    assert len(low.json()) == len(KINDS) + 1 and len(charges) == 2
    assert charges[1]["first"] == charges[0]["last"] + 1

    theirs = renew(client, other_token).json()
    assert [lease["first"] for lease in theirs if lease["kind"] == "charge"] == [charges[1]["last"] + 1]
    assert_no_overlap(NumberLease.objects.all())

    entry = AuditEntry.objects.filter(object_type="stations.numberlease").order_by("-seq").first()
    assert entry.action == "create" and entry.actor_label == "station:挂号-02"
    assert entry.changes["kind"] in KINDS


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_naming_it_and_nothing_is_leased(client):
    station, token = registry.create(name="挂号-01", department="门诊挂号")
    refused = renew(client, token, remaining={"visit": 0, "bed": 0})
    assert refused.status_code == 400 and "remaining.bed" in refused.content.decode()
    assert not NumberLease.objects.exists()
    assert client.post(URL, {"held": [], "remaining": {}}, content_type="application/json").status_code == 401


# -- where ranges start: the HIS's own numbers -------------------------------------------------

@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, 300)


def his_highest(his) -> dict[str, int]:
    """The highest number of each kind the demo HIS has issued, asked of it directly."""
    return {"visit": his.scalar("SELECT MAX({REGISTER_ID}) FROM {OUTP_REGISTER}"),
            "charge": his.scalar("SELECT MAX({RCPT_NO}) FROM {OUTP_CHARGE}"),
            "prescription": his.scalar("SELECT MAX({PRESC_ID}) FROM {OUTP_PRESC}"),
            "card": int(his.scalar("SELECT MAX({PATIENT_ID}) FROM {PAT_MASTER_INDEX}"))}


def firsts(response) -> dict[str, int]:
    assert response.status_code == 200, response.content
    return {lease["kind"]: lease["first"] for lease in response.json()}


def test_leases_start_above_the_numbers_the_build_read_from_the_his_plus_the_offset(his, snapshot_dir, client, db,
                                                                                     settings):
    settings.STATION_NUMBER_OFFSET = 100_000
    built = builder.build(his.mapping_path)
    highest = his_highest(his)
    assert built.his_numbers == {kind: int(number) + 1 for kind, number in highest.items()}
    assert highest["charge"] > 9_000_000  # receipts are not numbered from 1: read, not assumed

    station, token = registry.create(name="挂号-01", department="门诊挂号")
    assert firsts(renew(client, token)) == {kind: int(number) + 1 + 100_000 for kind, number in highest.items()}


def test_a_sequence_that_cannot_be_read_fails_the_build_and_leases_of_it_are_refused_naming_it(
        his, snapshot_dir, client, tmp_path, db):
    broken = his.with_mapping(f"MAX({his.q('RCPT_NO')})", "MAX(NO_SUCH_COLUMN)", tmp_path)
    with pytest.raises(builder.BuildFailed, match="sequences.charge"):
        builder.build(broken)
    failed = SnapshotBuild.objects.get()
    assert failed.status == "failed" and failed.his_numbers == dict.fromkeys(KINDS)

    station, token = registry.create(name="收费-01", department="门诊收费")
    refused = renew(client, token)
    assert refused.status_code == 409
    errors = {error["field"]: error["message"] for error in refused.json()["errors"]}
    assert set(errors) == {f"remaining.{kind}" for kind in KINDS}  # the build stopped before reading any
    assert "收费单号" in errors["remaining.charge"] and "快照" in errors["remaining.charge"]
    assert not NumberLease.objects.exists()  # not even the kinds that could be read: nothing half done

    text = his.with_mapping(f"MAX({his.q('REGISTER_ID')})", f"MAX({his.q('VISIT_NO')})", tmp_path)
    with pytest.raises(builder.BuildFailed, match=r"sequences.visit: 'V\d+' 不是大于等于 0 的整数"):
        builder.build(text)


@pytest.mark.django_db
def test_the_newest_build_that_read_a_number_gives_it(client):
    def build(minutes, numbers, status="published"):
        SnapshotBuild.objects.create(kind="full", status=status, trigger="test", package_id=f"p{minutes}",
                                     started_at=clock.now() - datetime.timedelta(minutes=minutes),
                                     his_numbers=numbers)

    build(30, {"visit": 900, "charge": 50, "prescription": 7, "card": 3000})
    build(20, {"visit": 800, "charge": 60, "prescription": 8, "card": 3100})  # the HIS restored: lower
    build(10, dict.fromkeys(KINDS))  # the newest failed before reading them
    station, token = registry.create(name="挂号-01", department="门诊挂号")
    assert firsts(renew(client, token)) == {"visit": 800 + DEFAULT_OFFSET, "charge": 60 + DEFAULT_OFFSET,
                                            "prescription": 8 + DEFAULT_OFFSET, "card": 3100 + DEFAULT_OFFSET}


@pytest.mark.django_db
def test_without_sequences_in_the_mapping_leases_start_at_the_offset_and_the_page_warns(client, make_user, settings):
    settings.STATION_NUMBER_OFFSET = 500_000
    SnapshotBuild.objects.create(kind="full", status="published", trigger="test", package_id="p1",
                                 started_at=clock.now(), his_numbers={})
    station, token = registry.create(name="挂号-01", department="门诊挂号")
    assert set(firsts(renew(client, token)).values()) == {leasing.UNREAD + 500_000}

    client.force_login(make_user("zhangwei", Role.DUTY))
    page = client.get("/continuity/").content.decode()
    assert 'id="sequences-missing"' in page and "号段" in page

    SnapshotBuild.objects.create(kind="full", status="published", trigger="test", package_id="p2",
                                 started_at=clock.now(), his_numbers={"visit": 42, "card": None})
    page = client.get("/continuity/").content.decode()
    assert 'id="sequences-missing"' not in page
    assert '<tr data-kind="card" class="stale">' in page and "500042" in page


def test_the_mapping_names_each_bad_sequence_with_its_line_and_field(tmp_path):
    text = demo_his.mapping_text(f"sqlite:///{tmp_path}/his.db")
    text = text.replace("sequences:\n  visit:\n    query: SELECT", "sequences:\n  bed:\n    query: SELECT", 1)
    text = text.replace("query: SELECT MAX(RCPT_NO) FROM OUTP_CHARGE", "query: DELETE FROM OUTP_CHARGE", 1)
    text = text.replace("returns: highest", "returns: last", 1)
    path = tmp_path / "his.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    found = {p.field: p for p in mapping.check_file(path)}
    assert set(found) == {"sequences.bed", "sequences.bed.returns", "sequences.charge.query"}
    assert "not a kind of number" in found["sequences.bed"].reason and "visit" in found["sequences.bed"].reason
    assert "one SELECT" in found["sequences.charge.query"].reason
    assert lines[found["sequences.bed"].line - 1] == "  bed:"
    assert lines[found["sequences.charge.query"].line - 1].strip().startswith("query: DELETE")
