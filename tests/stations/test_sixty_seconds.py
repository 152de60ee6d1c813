"""The issue's "Done when": from the incident page, declaring downtime to a first registration at
a station that already holds a package takes under 60 s (Oracle 724Access: 30–35 min unplanned).

Real processes only: the server is `lifeline serve` (gunicorn) on a scratch SQLite database with
a small demo HIS's package published; the station is `lifeline station serve --server …`,
holding that package after one `station pull` and pulling every PULL_EVERY seconds by itself.
A commander signs in to the server and declares from the incident's page (the confirmation,
then the POST); the registrar's browser polls the station's home page until it shows the
downtime, signs in with the emergency credential the station pulled from the server and
registers a visit. The figure is printed; it is wall time, so the test cannot use the clock.
"""
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.his.conftest import build_demo
from tests.snapshots.helpers import LIFELINE, cli_env, lifeline, migrated_home  # noqa: F401 - a fixture
from tests.workstation.served import Browser, Served, free_port

GOAL_SECONDS = 60
PULL_EVERY = "2"  # seconds between the station's pulls (30 by default)
PASSWORD = "correct-horse-9"
CREDENTIAL = ("R001", "周挂号", "7391")
# Run by `lifeline shell` in the scratch home: the plan, a commander, the station, the registrar's
# emergency credential and an open incident; prints the station's token and the incident's id.
SETUP = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from lifeline.accounts.roles import Role, assign_role
from lifeline.core import clock
from lifeline.incidents import lifecycle
from lifeline.plans import services as plans
from lifeline.stations import registry
from lifeline.stations.models import EmergencyCredential
from tests.plans.seeds import bundled_file
plan = plans.load_files([bundled_file("003")])[0].plan_id
assign_role(get_user_model().objects.create_user(username="wangwei", password="%(password)s"), Role.COMMANDER)
station, token = registry.create(name="挂号-01", department="门诊挂号")
EmergencyCredential.objects.create(code="%(code)s", name="%(name)s", role="registrar",
                                   password=make_password("%(secret)s"), valid_until=clock.now() + timedelta(days=1))
incident = lifecycle.open_incident(plan_id=plan, title="HIS 数据库宕机", scope="whole")
print(json.dumps({"token": token, "incident": incident.pk}))
"""


class Server:
    """`lifeline serve` on a free port, stopped by `stop`."""

    def __init__(self, home: Path):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = (home / "serve.log").open("wb")
        self.process = subprocess.Popen([LIFELINE, "serve", "--bind", self.url.removeprefix("http://"),
                                         "--workers", "2"], env=cli_env(home), stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300  # collectstatic first: slow on a busy machine, not measured
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):
                if self.process.poll() is not None:
                    raise RuntimeError((home / "serve.log").read_text(errors="replace")) from None
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def csrf(session: requests.Session, response: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)


def commander(server: Server) -> requests.Session:
    session = requests.Session()
    page = session.get(server.url + "/accounts/login/", timeout=30)
    signed_in = session.post(server.url + "/accounts/login/", timeout=30, data={
        "csrfmiddlewaretoken": csrf(session, page), "username": "wangwei", "password": PASSWORD})
    assert signed_in.url.rstrip("/") != server.url + "/accounts/login", signed_in.text[:500]
    return session


@pytest.fixture
def home(migrated_home, tmp_path, tmp_path_factory):
    """The server's scratch data directory: migrated, the setup done, a package of the demo HIS."""
    home = tmp_path / "home"
    shutil.copytree(migrated_home, home)
    his = build_demo(f"sqlite:///{tmp_path}/his.db", tmp_path_factory, 300)
    for args in (["snapshot", "key", "create"], ["snapshot", "build", "--mapping", his.mapping_path]):
        done = lifeline(home, *args)
        assert done.returncode == 0, done.stderr
    setup = SETUP % {"password": PASSWORD, "code": CREDENTIAL[0], "name": CREDENTIAL[1], "secret": CREDENTIAL[2]}
    done = subprocess.run([LIFELINE, "shell", "-c", setup], env=cli_env(home, PYTHONPATH=str(Path.cwd())),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    home.joinpath("setup.json").write_text(done.stdout.strip().splitlines()[-1])
    return home


def test_declared_on_the_incident_page_to_a_first_registration_at_the_station_in_under_60_seconds(home, tmp_path):
    setup = json.loads(home.joinpath("setup.json").read_text())
    station_dir, keys = tmp_path / "station", tmp_path / "station-keys.json"
    assert lifeline(home, "station", "keys", "--out", keys).returncode == 0
    server = Server(home)
    served = None
    try:
        station_env = {"LIFELINE_STATION_TOKEN": setup["token"]}
        pulled = subprocess.run([LIFELINE, "station", "pull", "--server", server.url, "--dir", str(station_dir),
                                 "--keys", str(keys)], env={**cli_env(home), **station_env}, capture_output=True,
                                text=True, timeout=300)
        assert pulled.returncode == 0, pulled.stderr
        shutil.copy(keys, station_dir / "station-keys.json")  # where `station serve` looks for it
        served = Served(station_dir, "挂号-01", "--server", server.url, "--every", PULL_EVERY, env=station_env)
        desk = Browser(served)
        assert "mode-ready" in desk.get("/").text  # holds the package, not in downtime yet
        session = commander(server)

        started = time.monotonic()
        incident_page = session.get(f"{server.url}/incidents/{setup['incident']}/", timeout=30)
        link = re.search(r'href="(/continuity/declare/\?incident=\d+)"[^>]*>宣布应急', incident_page.text).group(1)
        confirm = session.get(server.url + link, timeout=30)
        declared = session.post(server.url + link, timeout=30, allow_redirects=False, data={
            "csrfmiddlewaretoken": csrf(session, confirm), "which": "all", "confirm": "on"})
        assert declared.status_code == 302, declared.text[:500]

        while "mode-emergency" not in desk.get("/").text:
            assert time.monotonic() - started < GOAL_SECONDS, "the station did not hear the downtime in time"
            time.sleep(0.2)
        heard = time.monotonic() - started
        code, name, secret = CREDENTIAL
        signed_in = desk.sign_in(code, secret)
        assert f"{name}（{code}）" in signed_in.text
        form = desk.get("/register/")
        schedule_id = re.search(r'name="schedule_id" value="([^"]+)"', form.text).group(1)
        slip = desk.post("/register/", {"card_no": "0000000001", "schedule_id": schedule_id})
        registered = time.monotonic() - started
        assert "/visits/" in slip.url and slip.status_code == 200, slip.text[:500]
    finally:
        if served:
            served.stop()
        server.stop()
    visit_no = int(slip.url.rstrip("/").split("/")[-2])
    his_next = int(subprocess.run(
        [LIFELINE, "shell", "-c", "from lifeline.snapshots import numbers; "
                                  "print(numbers.his_numbers().known['visit'].next)"],
        env=cli_env(home), capture_output=True, text=True, timeout=120).stdout.split()[-1])
    assert visit_no >= his_next + 100_000  # the lease started above the HIS's own visit numbers
    print(f"\ndeclared on the incident page -> first registration at the station: {registered:.1f} s "
          f"(station in downtime after {heard:.1f} s, pulling every {PULL_EVERY} s; goal < {GOAL_SECONDS} s; "
          f"baseline Oracle 724Access unplanned, 30 min: ratio {registered / 1800:.4f})")
    assert registered < GOAL_SECONDS
