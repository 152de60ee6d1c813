"""End to end: an emergency credential made on the server reaches the station by a real `station
pull` against the live server, and its holder signs in on the station's own login page (the
workstation's pages served by `serve`, in downtime declared on the server). A credential meant
for another station is not there to sign in with; one that expired since the pull is refused
with its message, nothing recorded."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password

from lifeline.core import clock
from lifeline.stations import registry
from lifeline.stations.models import EmergencyCredential
from tests.snapshots.helpers import snapshot_dir  # noqa: F401 (a fixture)
from tests.stations.chains import chain, small_his, station  # noqa: F401
from tests.stations.test_station_pull import station_keys, workstation  # noqa: F401
from tests.workstation.served import Browser, Served, journal_count
from tests.workstation.test_pages import _error_beside

pytestmark = pytest.mark.django_db(transaction=True)
HOUR = 3600


def _credential(code, name, stations=(), valid_for=timedelta(days=30)):
    credential = EmergencyCredential.objects.create(code=code, name=name, role="cashier",
                                                    password=make_password("7391"),
                                                    valid_until=clock.now() + valid_for)
    credential.stations.set(stations)


def test_a_server_issued_credential_signs_in_at_its_station_only_while_valid(live_server, chain, workstation, station,
                                                                             station_keys):
    ours, _token = station
    theirs, _ = registry.create(name="药房-01", department="门诊药房")
    _credential("C017", "王芳", [ours])
    _credential("C018", "赵敏", [theirs])
    _credential("C019", "钱进", valid_for=timedelta(hours=1))  # every station, for an hour
    registry.declare("downtime", by="zhangwei", now=clock.now())
    pulled = workstation(live_server.url)
    assert pulled.returncode == 0, pulled.stderr
    keys = workstation.dir / "station-keys.json"  # set up beside the data, where serve looks for it
    keys.write_bytes(station_keys.read_bytes())
    keys.chmod(0o600)

    served = Served(workstation.dir, "挂号-01")
    try:
        desk = Browser(served)
        assert "mode-emergency" in desk.get("/").text  # the downtime declared on the server, heard
        before = journal_count(workstation.dir)
        signed_in = desk.sign_in("C017", "7391")
        assert signed_in.url == served.url + "/" and "王芳（C017）" in signed_in.text
        assert journal_count(workstation.dir) == before + 1  # the sign-in event

        other = Browser(served).sign_in("C018", "7391")
        assert _error_beside(other.text, "password") == "工号或密码错误"
        assert journal_count(workstation.dir) == before + 1
    finally:
        served.stop()

    later = Served(workstation.dir, "挂号-01", env={"LIFELINE_CLOCK_OFFSET_SECONDS": str(2 * HOUR)})
    try:
        expired = Browser(later).sign_in("C019", "7391")
        assert re.search(r"C019 的应急账号已过期", _error_beside(expired.text, "code") or "")
        assert journal_count(workstation.dir) == before + 1
        assert "王芳（C017）" in Browser(later).sign_in("C017", "7391").text  # thirty days: still good
    finally:
        later.stop()
