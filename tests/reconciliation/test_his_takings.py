"""The takings before and after the switch come from the HIS, through the mapping's merge-back
lookup cashier_takings (here the demo HIS on SQLite): split at the downtime, by cashier and
payment method, and the page says so when the HIS cannot be read."""
import datetime
from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lifeline.his import demo_his
from lifeline.reconciliation import services
from tests.incidents.conftest import SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.fixture
def his(tmp_path, settings):
    url = f"sqlite:///{tmp_path}/his.db"
    demo_his.build(url, 2000, seed=3, now=datetime.datetime(2026, 11, 23, 9, 0))  # charges 11-22 08:00–16:00
    mapping = tmp_path / "his.yaml"
    mapping.write_text(demo_his.mapping_text(url), encoding="utf-8")
    settings.SNAPSHOT_MAPPING = str(mapping)
    return url


def sums(url, start, end) -> Counter:
    charges = demo_his.OUTP_CHARGE.c
    engine = demo_his.connect(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(charges.OPERATOR_NO, charges.PAY_WAY, charges.COSTS, charges.CHARGE_DATE)
                                  .where(charges.CHARGE_DATE >= start, charges.CHARGE_DATE < end)).all()
    engine.dispose()
    found = Counter()
    for cashier, way, amount, _at in rows:
        found[(cashier, demo_his.PAY_WAYS[way])] += Decimal(amount)
    return found


def test_before_and_after_the_switch_are_the_his_takings_of_that_day(his, clock):
    clock.freeze(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))
    start = datetime.datetime(2026, 11, 22, 11, 0, tzinfo=SHANGHAI)
    end = datetime.datetime(2026, 11, 22, 13, 0, tzinfo=SHANGHAI)

    before, after, note = services.his_takings(start, end)

    day = datetime.datetime(2026, 11, 22)
    want_before = sums(his, day, day.replace(hour=11))
    want_after = sums(his, day.replace(hour=13), day + datetime.timedelta(days=1))
    assert note == "" and want_before and want_after
    assert Counter({(r["cashier_code"], r["payment_method"]): r["amount"] for r in before}) == want_before
    assert Counter({(r["cashier_code"], r["payment_method"]): r["amount"] for r in after}) == want_after


def test_a_his_that_cannot_be_read_is_said_on_the_page(settings, tmp_path):
    settings.SNAPSHOT_MAPPING = str(tmp_path / "missing.yaml")
    start = datetime.datetime(2026, 11, 22, 11, 0, tzinfo=SHANGHAI)

    before, after, note = services.his_takings(start, start + datetime.timedelta(hours=2))

    assert (before, after) == (None, None) and note.startswith("无法读取 HIS 切换前后的收款")
