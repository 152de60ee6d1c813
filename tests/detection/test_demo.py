"""The demo's probes (what `make run` shows on the wall): each one's settings are valid and,
against a demo HIS and a running Lifeline, each reading is good."""
from datetime import timedelta

import pytest

from lifeline.detection import demo
from lifeline.detection.models import Probe
from lifeline.detection.probes import checks
from lifeline.his import demo_his
from lifeline.status import demo as status_demo


@pytest.mark.django_db(transaction=True)
def test_the_demo_probes_read_good_against_the_demo_his_and_lifeline(live_server, settings, tmp_path, clock):
    settings.LIFELINE_BASE_URL = live_server.url
    his = tmp_path / "demo_his.sqlite3"
    demo_his.build(f"sqlite:///{his}", 50, seed=1)
    status_demo.load_demo()
    assert demo.load_demo(his) == 3
    assert demo.load_demo(his) == 3
    probes = {probe.name: probe for probe in Probe.objects.select_related("component")}
    # Not read before `make run`'s server listens: the first reading is one interval on.
    assert all(p.next_due_at == clock.now() + timedelta(seconds=p.interval_seconds) for p in probes.values())
    assert sorted(probes) == sorted(["Lifeline 自检", "演示 HIS 数据库", "夜间 HIS 备份"])
    assert probes["演示 HIS 数据库"].component.name == "挂号"
    for probe in probes.values():
        probe.full_clean()
        reading = checks.check(probe, clock.now())
        assert reading.ok, (probe.name, reading.error)
    assert checks.check(probes["演示 HIS 数据库"], clock.now()).value == 50

    his.unlink()
    assert not checks.check(probes["演示 HIS 数据库"], clock.now()).ok
