"""Numbers from leased ranges: never overlapping across stations, issued inside the transaction,
a warning when low and a refusal when used up."""
import pytest

from lifeline.workstation import numbering
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.leases import Lease, LeaseRefused, next_range


def test_ranges_start_at_the_his_sequence_plus_the_offset_and_never_overlap():
    leases = []
    for n, station in enumerate(["S1", "S2", "S1", "S3"]):
        first, last = next_range(leases, "visit", 1000, his_next=5_234_001)
        leases.append(Lease(f"{station}-{n}", "visit", first, last))
    assert leases[0].first == 5_334_001 and leases[0].last == 5_335_000
    assert [lease.first for lease in leases] == [5_334_001, 5_335_001, 5_336_001, 5_337_001]
    assert not any(a.overlaps(b) for a in leases for b in leases if a is not b)
    # Another kind has its own sequence; the HIS moving past the leases moves the next range up.
    assert next_range(leases, "charge", 10, his_next=77, offset=500) == (577, 586)
    assert next_range(leases, "visit", 10, his_next=9_000_000) == (9_100_000, 9_100_009)


@pytest.mark.parametrize("kind, size, his_next, offset, field", [
    ("bed", 10, 1, 0, "kind"), ("visit", 0, 1, 0, "size"), ("visit", 10, 0, 0, "his_next"),
    ("visit", 10, 1, -1, "offset"),
])
def test_a_bad_request_for_a_range_names_the_field(kind, size, his_next, offset, field):
    with pytest.raises(LeaseRefused, match=field):
        next_range([], kind, size, his_next, offset)


@pytest.fixture
def numbered(journal):
    numbering.create(journal.db)
    with journal.transaction() as tx:
        numbering.receive(tx, Lease("L1", "visit", 100_001, 100_003), "system")
    return journal


def test_numbers_are_issued_in_order_inside_the_transaction(numbered):
    with numbered.transaction() as tx:
        assert numbering.issue(tx, "visit") == 100_001
    with pytest.raises(RuntimeError):
        with numbered.transaction() as tx:
            assert numbering.issue(tx, "visit") == 100_002
            raise RuntimeError("the registration failed after taking its number")
    with numbered.transaction() as tx:
        assert numbering.issue(tx, "visit") == 100_002  # the rolled-back number is issued again
    assert [row[0] for row in numbered.db.execute("SELECT number FROM issued")] == [100_001, 100_002]
    events = list(numbered.events())
    assert events[0].kind == "lease_received" and events[0].payload["first"] == 100_001


def test_a_low_range_warns_and_an_exhausted_one_refuses(numbered):
    assert numbering.supply(numbered.db, "visit", low_water=2) == numbering.Supply("visit", 3, 2)
    for _ in range(2):
        with numbered.transaction() as tx:
            numbering.issue(tx, "visit")
    low = numbering.supply(numbered.db, "visit", low_water=2)
    assert low.low and not low.exhausted
    with numbered.transaction() as tx:
        numbering.issue(tx, "visit")
    assert numbering.supply(numbered.db, "visit").exhausted
    count = numbered.count()
    with pytest.raises(StationRefused, match="used up") as refused:
        with numbered.transaction() as tx:
            numbering.issue(tx, "visit")
            tx.record("registration", "0101", {})
    assert refused.value.field == "visit" and numbered.count() == count
    with numbered.transaction() as tx:  # a renewed lease continues
        numbering.receive(tx, Lease("L2", "visit", 100_500, 100_999), "system")
        assert numbering.issue(tx, "visit") == 100_500


def test_an_overlapping_lease_is_refused(numbered):
    with pytest.raises(StationRefused, match="overlaps lease L1") as refused:
        with numbered.transaction() as tx:
            numbering.receive(tx, Lease("L2", "visit", 100_003, 100_010), "system")
    assert refused.value.field == "lease_id"
    with numbered.transaction() as tx:
        numbering.receive(tx, Lease("C1", "charge", 100_003, 100_010), "system")  # another kind: fine
