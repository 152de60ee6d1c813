"""Fault injection in a lab: a real local TCP server (started here) is the drill-safe target,
"blocked" by its configured stop command for the drill's length and brought back by the durable
undo timer once the clock passes it (jumped, never slept); targets not listed as drill-safe are
refused naming fault_target, with nothing written and nothing run."""
import socket
import subprocess
import sys
import time

import pytest
from django.test import override_settings

from lifeline.core.errors import Refused
from lifeline.drills import services
from lifeline.drills.models import Drill, FaultInjection
from tests.drills.conftest import PLAN, SCENARIO

pytestmark = pytest.mark.django_db
REAL_WAIT_SECONDS = 15  # a real process starting or stopping: polled on the wall clock, not the injected one


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def until(condition) -> bool:
    deadline = time.monotonic() + REAL_WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A local HTTP server with stop and start commands, as a lab service would be configured:
    (port, start argv, stop argv)."""
    port, pidfile = free_port(), tmp_path / "lab.pid"
    serve = f"{sys.executable} -m http.server {port} --bind 127.0.0.1"
    start = ["sh", "-c", f"{serve} >/dev/null 2>&1 & echo $! > {pidfile}"]
    stop = ["sh", "-c", f"kill $(cat {pidfile})"]
    subprocess.run(start, check=True)
    assert until(lambda: accepts(port))
    yield port, start, stop
    subprocess.run(stop, check=False)


@pytest.fixture
def lab_server(lab):
    port, start, stop = lab
    with override_settings(DRILL_TARGETS={"lab-web": {"drill_safe": True, "stop": stop, "start": start},
                                          "his-production": {"service": "his"}}):
        yield port


def test_the_fault_lasts_the_drill_and_the_timer_undoes_it(plan_001, morning, people, lab_server):
    drill = services.plan_drill(plan_id=PLAN, scenario_id=SCENARIO, planned_at=morning.now(), length_minutes=30,
                                fault_target="lab-web")
    services.start(drill, people["zhangwei"])
    assert until(lambda: not accepts(lab_server))
    morning.advance(minutes=29)
    assert services.undo_due() == 0 and FaultInjection.objects.get().undone_at is None
    morning.advance(minutes=1)
    assert services.undo_due() == 1  # the worker's job (tasks.undo_faults): from the row alone, restart or not
    assert until(lambda: accepts(lab_server))
    injection = FaultInjection.objects.get()
    assert injection.undone_at == morning.now() and "ok" in injection.outcome


def test_ending_the_drill_undoes_the_fault_at_once(plan_001, morning, people, lab_server):
    drill = services.plan_drill(plan_id=PLAN, scenario_id=SCENARIO, planned_at=morning.now(), fault_target="lab-web")
    services.start(drill, people["zhangwei"])
    assert until(lambda: not accepts(lab_server))
    morning.advance(minutes=12)
    services.end(Drill.objects.get(), people["zhangwei"])
    assert until(lambda: accepts(lab_server)) and FaultInjection.objects.get().undone_at == morning.now()


@pytest.mark.parametrize("target, words", [("his-production", "未列为可演练目标"), ("mystery", "不是已配置的演练目标")])
def test_targets_not_listed_as_drill_safe_are_refused(plan_001, morning, lab_server, target, words):
    with pytest.raises(Refused) as refused:
        services.plan_drill(plan_id=PLAN, scenario_id=SCENARIO, planned_at=morning.now(), fault_target=target)
    assert refused.value.field == "fault_target" and words in refused.value.message
    assert not Drill.objects.exists() and accepts(lab_server)


def test_the_data_directorys_target_list_when_broken_is_a_refusal_naming_the_field(plan_001, morning, tmp_path):
    (tmp_path / "drill_targets.json").write_text("{lab-web: drill_safe}")
    with override_settings(DRILL_TARGETS=None, DATA_DIR=tmp_path), pytest.raises(Refused) as refused:
        services.plan_drill(plan_id=PLAN, scenario_id=SCENARIO, planned_at=morning.now(), fault_target="lab-web")
    assert refused.value.field == "fault_target" and "drill_targets.json 不是有效的 JSON" in refused.value.message
