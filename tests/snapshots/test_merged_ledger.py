"""What a package says was merged (snapshots.merged): per station the sequence numbers the HIS's
merge ledger holds, as ranges with the holes the ledger has (drill events, events held back),
read in the build's transaction; nothing merged ever (no ledger) is said as {}."""
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from lifeline.his.writer import LEDGER, ledger_metadata
from lifeline.snapshots import merged
from tests.recovery.merge_data import scratch_database


def _engine(kind, tmp_path_factory):
    url, drop = scratch_database(kind, tmp_path_factory)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
    drop()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def his_engine(request, tmp_path_factory):
    yield from _engine(request.param, tmp_path_factory)


@pytest.fixture
def postgresql_his(tmp_path_factory):
    """A read-only account is shown on PostgreSQL (roles without a login, SET LOCAL ROLE)."""
    yield from _engine("postgresql", tmp_path_factory)


def _read(engine):
    with engine.connect() as connection, connection.begin():
        return merged.read(SimpleNamespace(connection=connection))


@pytest.mark.django_db
def test_the_ledger_s_events_as_ranges_per_station(his_engine):
    assert _read(his_engine) == {}  # no ledger: nothing was ever merged
    ledger_metadata.create_all(his_engine)
    assert _read(his_engine) == {}
    held = {"收费-01": [*range(1, 341), *range(342, 501)], "收费-02": [7], "药房-01": [2, 3, 5, 6, 9]}
    with his_engine.begin() as connection:
        connection.execute(LEDGER.insert(), [{"event_id": f"{station}-{seq}", "station": station, "seq": seq,
                                              "records": 1} for station, seqs in held.items() for seq in seqs])
    assert _read(his_engine) == {"收费-01": [[1, 340], [342, 500]], "收费-02": [[7, 7]],
                                 "药房-01": [[2, 3], [5, 6], [9, 9]]}


@pytest.mark.django_db
def test_a_ledger_the_reader_may_not_read_says_nothing_and_the_build_reads_on(postgresql_his):
    his_engine = postgresql_his
    ledger_metadata.create_all(his_engine)
    role = f"stockmerge_reader_{id(his_engine):x}"
    with his_engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
    try:
        with his_engine.connect() as connection, connection.begin():
            connection.exec_driver_sql(f"SET LOCAL ROLE {role}")
            assert merged.read(SimpleNamespace(connection=connection)) is None
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1  # the snapshot goes on
    finally:
        with his_engine.begin() as connection:
            connection.exec_driver_sql(f"DROP ROLE {role}")


def test_stations_are_named_by_the_code_in_their_events():
    found = {"门诊收费一号": [[1, 9]], "收费-02": [[1, 4]], "急诊-A": [[1, 2]], "急诊-B": [[1, 7]]}
    codes = {"门诊收费一号": {"收费-01"}, "急诊-A": {"急诊"}, "急诊-B": {"急诊"}}
    # 收费-02 is registered under its code; two stations whose events both say 急诊: neither is
    # taken as merged (a station subtracts what it gave until told otherwise).
    assert merged.by_code(found, codes) == {"收费-01": [[1, 9]], "收费-02": [[1, 4]], "急诊": []}
