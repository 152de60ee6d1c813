"""Reads stream in bounded memory: reading 50,000 patients holds a few batches, not the table."""
import tracemalloc

import pytest

from lifeline.his import reader
from tests.his.conftest import build_demo

PATIENTS = 50_000


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, PATIENTS)


def peak_of(func) -> int:
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_memory_stays_well_below_the_data_size(his):
    source = reader.HisSource(his.mapping, batch_size=1000)

    def stream():
        with source.snapshot() as snap:
            assert sum(1 for _ in snap.read("patient")) == PATIENTS

    def hold():
        with source.snapshot() as snap:
            rows = list(snap.read("patient"))
            assert len(rows) == PATIENTS

    streaming, holding = peak_of(stream), peak_of(hold)
    assert streaming < holding / 10, f"streaming peak {streaming:,} B, all rows {holding:,} B"
