"""Fixtures of the distribution tests: a small demo HIS on SQLite, a published chain (a full
package and an incremental), an emergency workstation with its token."""
import pytest

from lifeline.his import demo_his
from lifeline.snapshots import builder
from lifeline.stations import registry
from tests.his.conftest import build_demo

PATIENTS = 300


@pytest.fixture(scope="module")
def small_his(tmp_path_factory):
    return build_demo(f"sqlite:///{tmp_path_factory.mktemp('his')}/his.db", tmp_path_factory, PATIENTS)


@pytest.fixture
def chain(small_his, snapshot_dir):
    """[full, incremental] SnapshotBuild records, published (after 5 % of the HIS changed)."""
    full = builder.build(small_his.mapping_path)
    demo_his.churn(small_his.url, percent=5, seed=3)
    return [full, builder.build(small_his.mapping_path, incremental=True)]


@pytest.fixture
def station():
    """(station, token) of 门诊挂号's workstation."""
    return registry.create(name="挂号-01", department="门诊挂号", location="门诊楼一层")


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
