"""How far behind the HIS a station's data is, with incremental builds every minute and the
station pulling every 30 s, and what each incremental read costs the HIS; in real time.

Set-up: a demo HIS on PostgreSQL (--patients, default 200,000), Lifeline's server on SQLite in
a temporary directory (`lifeline serve`), a full package built and published, --stations
emergency workstations (`lifeline station serve --server … --every 30`, the station's own pull
loop) holding it.

Then for --minutes (default 4) the HIS changes continuously: every --change-every seconds one
transaction (a patient's new phone number, a new patient, a merged patient deleted, a drug's
new price), stamped with the HIS's own time (LOCALTIMESTAMP) as the vendor's schema does. The
worker's snapshot job (`snapshots.tasks.build_due_snapshot`, with
LIFELINE_SNAPSHOT_INCREMENTAL_MINUTES=1) is called on the worker's 30 s grid and builds and
publishes the incrementals. Each time a station's holding.json names a new package, its
base.sqlite3 is opened with the station's key and every change not seen yet is looked up there:
a change's lag is from its commit to that moment (holding.json is written right after the new
base data took the old one's place). When the changes stop, the run goes on until every change
has arrived (or --drain seconds passed: a change that never arrives fails the benchmark).

Figures, each next to its baseline, as a ratio:
- lag p50, p95, max against the goal (120 s, issue 15), seed 003's nightly-restored standby
  (one day), and the schedule's worst case measured in this run: 60 s + 30 s + the median
  incremental build + the median pull (from the pull's start to the new base data in place).
  The station's loop sleeps 30 s after each pull, so its pulls start 30 s + one pull apart: the
  measured max may pass that baseline by up to one pull's length;
- the HIS's CPU per incremental read against one full read of the same entities (the first
  package's build): the CPU time (utime + stime, /proc/<pid>/stat, 10 ms ticks) of the
  PostgreSQL backend serving the build's HIS connection (pg_backend_pid), from its start (the
  connection's set-up counts: each read is one connection) to the connection given back.
  Parallel query is off in the benchmark's HIS database (ALTER DATABASE … SET
  max_parallel_workers_per_gather = 0) so that all of a read's work is in that one backend.

Needs PostgreSQL at 127.0.0.1:5432 (user postgres) on this machine (for /proc); uses and drops
its own database and a temporary data directory.
Usage: station_staleness.py [--patients N] [--minutes M] [--stations S] [--quick]
"""
import argparse
import datetime
import itertools
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="lifeline-bench-staleness-"))
MAPPING = HOME / "his.yaml"
os.environ["LIFELINE_DATA_DIR"] = str(HOME)
os.environ["LIFELINE_DATABASE_URL"] = f"sqlite:///{HOME}/lifeline.sqlite3"
os.environ["LIFELINE_SNAPSHOT_MAPPING"] = str(MAPPING)
os.environ["LIFELINE_SNAPSHOT_INCREMENTAL_MINUTES"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

import sqlalchemy as sa  # noqa: E402
from django.core.management import call_command  # noqa: E402

from lifeline.core import clock  # noqa: E402
from lifeline.core.actor import acting_as  # noqa: E402
from lifeline.his import demo_his  # noqa: E402
from lifeline.snapshots import storage, tasks  # noqa: E402
from lifeline.snapshots.models import SnapshotBuild  # noqa: E402
from lifeline.stations import registry  # noqa: E402
from lifeline.workstation import store  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"
LIFELINE = str(Path(sys.executable).with_name("lifeline"))
GOAL = 120.0  # seconds (issue 15)
SEED_003 = 86_400.0  # seed 003's standby, restored nightly: up to a day behind
BUILD_EVERY, PULL_EVERY, WORKER_GRID = 60, 30, 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PATIENT = demo_his.PAT_MASTER_INDEX


# -- the HIS's CPU per read -------------------------------------------------------------------

BUILD_THREAD = "snapshot-build"  # the thread tasks.build_due_snapshot runs a build on
his_cpu: list[float | None] = []  # CPU seconds of each HIS backend a build's read used, in order


def backend_cpu(pid: int) -> float | None:
    """utime + stime of a process on this machine, in seconds; None when it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def measure_his_reads(his_database: str):
    """Keep the CPU time of the backend of every HIS connection a build gives back: the reader's
    pool has no connections kept, so each read is one connection and one backend."""
    @sa.event.listens_for(sa.pool.Pool, "checkin")
    def given_back(dbapi_connection, record):
        if threading.current_thread().name != BUILD_THREAD or dbapi_connection is None:
            return
        info = getattr(dbapi_connection, "info", None)
        if getattr(info, "dbname", None) == his_database:
            his_cpu.append(backend_cpu(info.backend_pid))


# -- the HIS changing -------------------------------------------------------------------------

@dataclass
class Change:
    kind: str
    key: str
    value: str | None  # the phone number or price the station must show; None: the row is gone
    committed: float  # time.time() once the commit returned
    arrived: dict = field(default_factory=dict)  # station -> time.time() its base data first had it

    def lag(self, station) -> float:
        return self.arrived[station] - self.committed


class Churn(threading.Thread):
    """One small HIS transaction every `every` seconds until stopped, each stamped with the HIS's
    own time (LOCALTIMESTAMP, the transaction's start, as the vendor's schema stamps rows)."""
    KINDS = ["phone", "new patient", "drug price", "merged patient"]
    WEIGHTS = [4, 3, 2, 1]

    def __init__(self, url: str, every: float, patients: int):
        super().__init__(name="his-churn", daemon=True)
        self.engine = demo_his.connect(url)
        self.every = every
        self.rng = random.Random(15)
        self.pools = demo_his.Pools(15)
        self.untouched = list(range(1, patients + 1))  # card numbers no change has used yet
        self.rng.shuffle(self.untouched)
        self.next_card = patients + 1
        self.phones = (f"199{n:08d}" for n in itertools.count())  # never drawn by the demo HIS
        with self.engine.connect() as connection:
            self.drugs = dict(connection.execute(sa.select(demo_his.DRUG_DICT.c.DRUG_CODE,
                                                           demo_his.DRUG_DICT.c.RETAIL_PRICE)).all())
        self.changes: list[Change] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            started = time.monotonic()
            for n in itertools.count(1):
                self.changes.append(self.one(self.rng.choices(self.KINDS, self.WEIGHTS)[0]))
                if self.stop.wait(max(0.0, started + n * self.every - time.monotonic())):
                    return
        except BaseException as exc:  # the main loop raises it
            self.error = exc

    def one(self, kind: str) -> Change:
        stamp = sa.func.localtimestamp()
        with self.engine.begin() as connection:
            if kind == "phone":
                key, value = f"{self.untouched.pop():010d}", next(self.phones)
                connection.execute(PATIENT.update().where(PATIENT.c.PATIENT_ID == key)
                                   .values(PHONE_NUMBER=value, LAST_MODIFY_DATE=stamp))
            elif kind == "new patient":
                row = next(demo_his.patient_rows(self.pools, self.next_card, 1, datetime.datetime.now()))
                self.next_card += 1
                key, value = row[0], next(self.phones)
                values = dict(zip(PATIENT.c.keys()[:-1], row[:-1], strict=True))
                connection.execute(PATIENT.insert().values({**values, "PHONE_NUMBER": value,
                                                            "LAST_MODIFY_DATE": stamp}))
            elif kind == "merged patient":
                key, value = f"{self.untouched.pop():010d}", None
                connection.execute(PATIENT.delete().where(PATIENT.c.PATIENT_ID == key))
            else:
                key = self.rng.choice(sorted(self.drugs))
                price = self.drugs[key] = Decimal(self.drugs[key]) + Decimal("0.01")
                value = str(price)
                connection.execute(demo_his.DRUG_DICT.update().where(demo_his.DRUG_DICT.c.DRUG_CODE == key)
                                   .values(RETAIL_PRICE=price, LAST_MODIFY_DATE=stamp))
        return Change(kind, key, value, time.time())


# -- the stations -----------------------------------------------------------------------------

class Workstation:
    """`lifeline station serve --server …` in its own directory; its output lines are timed as
    they come, so a pull's start is known: the loop sleeps --every seconds after each pull's
    last line."""

    def __init__(self, name: str, server_url: str, token: str, keys: Path):
        self.name, self.keys = name, keys
        self.dir = HOME / "stations" / name
        self.key = None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFELINE_", "DJANGO_"))}
        env["LIFELINE_STATION_TOKEN"] = token
        self.log = open(HOME / f"{name}.log", "w")
        self.process = subprocess.Popen(
            [LIFELINE, "station", "serve", "--dir", str(self.dir), "--keys", str(keys), "--server", server_url,
             "--every", str(PULL_EVERY), "--workers", "1", "--bind", f"127.0.0.1:{free_port()}"],
            env=env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.lines: list[float] = []  # when each output line came
        threading.Thread(target=self._read, name=f"{name}-output", daemon=True).start()
        self.applied, self.applied_at = None, None
        self.pulls: list[float] = []  # seconds from a pull's start to its new base data in place

    def _read(self):
        for _line in self.process.stdout:
            self.lines.append(time.time())

    def holding(self) -> tuple[str, float] | None:
        path = self.dir / "holding.json"
        try:
            return json.loads(path.read_text())["applied"], path.stat().st_mtime
        except (OSError, ValueError, KeyError):
            return None

    def newly_applied(self) -> float | None:
        """When a package newer than the one seen last was put in place (None: none since)."""
        held = self.holding()
        if held is None or held[0] == self.applied:
            return None
        first = self.applied is None
        self.applied, self.applied_at = held
        started = [t + PULL_EVERY for t in self.lines if t + PULL_EVERY < self.applied_at]
        if not first and started:
            self.pulls.append(self.applied_at - max(started))
        return self.applied_at

    def look_up(self, changes: list[Change]) -> list[Change]:
        """The changes the base data in place holds."""
        if self.key is None:
            self.key = store.data_key(self.keys)
        db = store.connect(self.dir / "base.sqlite3", self.key, durable=False)
        try:
            patients = dict(db.execute(f"SELECT card_no, phone FROM patient WHERE card_no IN "
                                       f"({','.join('?' * len(changes))})", [c.key for c in changes]))
            prices = dict(db.execute("SELECT code, price FROM drug"))
        finally:
            db.close()
        found = []
        for change in changes:
            if change.kind == "drug price":
                # prices only go up: a later change of the same drug holds this one too
                held = prices.get(change.key) is not None and Decimal(str(prices[change.key])) >= Decimal(change.value)
            elif change.value is None:
                held = change.key not in patients
            else:
                held = patients.get(change.key) == change.value
            if held:
                found.append(change)
        return found

    def stop(self):
        stop(self.process)
        self.log.close()


def stop(process: subprocess.Popen):
    """SIGTERM (gunicorn stops its workers), SIGKILL if that takes too long on a busy machine."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(HOME / "server.log", "w")
    server = subprocess.Popen([LIFELINE, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300  # collectstatic first; slow on a busy machine
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=5)
            return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit(f"the Lifeline server did not answer at {url}:\n{(HOME / 'server.log').read_text()[-3000:]}")


# -- the run ----------------------------------------------------------------------------------

@dataclass
class Build:
    kind: str
    status: str
    started: float  # time.time()
    seconds: float
    his_cpu: float | None


class Worker:
    """The worker's snapshot job on its 30 s grid: what `lifeline worker` calls."""

    def __init__(self):
        self.next_run = time.monotonic()
        self.running = None  # (thread, how many HIS reads were measured before it)
        self.builds: list[Build] = []

    def tick(self):
        if self.running and not self.running[0].is_alive():
            self._done()
        if time.monotonic() < self.next_run:
            return
        while self.next_run <= time.monotonic():
            self.next_run += WORKER_GRID
        with acting_as("worker"):
            thread = tasks.build_due_snapshot(clock.now())
        if thread is not None:
            self.running = (thread, len(his_cpu))

    def wait(self):
        if self.running:
            self.running[0].join()
            self._done()

    def _done(self):
        thread, before = self.running
        self.running = None
        record = SnapshotBuild.objects.order_by("-started_at", "-id").first()
        cpu = his_cpu[before:]
        self.builds.append(Build(record.kind, record.status, record.started_at.timestamp(),
                                 record.duration_seconds or 0.0,
                                 None if not cpu or None in cpu else sum(cpu)))
        if record.status != SnapshotBuild.Status.PUBLISHED:
            print(f"  a build was not published ({record.status}): {record.error}", flush=True)


def first_package(worker: Worker, stations: list[Workstation]):
    """The worker builds the first (full) package; every station pulls it."""
    worker.tick()
    worker.wait()
    full = worker.builds[0]
    if full.status != SnapshotBuild.Status.PUBLISHED:
        sys.exit("the first package was not published")
    deadline = time.monotonic() + 600
    while True:
        for station in stations:
            station.newly_applied()
        if all(s.applied for s in stations):
            return
        if time.monotonic() > deadline or any(s.process.poll() is not None for s in stations):
            logs = "\n".join(f"{s.name}: {(HOME / f'{s.name}.log').read_text()[-1500:]}" for s in stations)
            sys.exit(f"a station did not apply the first package:\n{logs}")
        time.sleep(0.2)


def live(worker: Worker, stations: list[Workstation], churn: Churn, minutes: float, drain: float) -> list[Change]:
    """Changes, builds and pulls in real time; returns the changes with when each station had them."""
    pending = {s.name: [] for s in stations}
    taken = 0  # changes handed to the stations' pending lists so far
    churn.start()
    end = time.monotonic() + minutes * 60
    stopped_at = None
    while True:
        now = time.monotonic()
        if churn.error:
            raise churn.error
        if stopped_at is None and now >= end:
            churn.stop.set()
            churn.join()
            stopped_at = now
        worker.tick()
        new, taken = churn.changes[taken:], len(churn.changes)
        for station in stations:
            pending[station.name] += new
            at = station.newly_applied()
            if at is not None and pending[station.name]:
                for change in station.look_up(pending[station.name]):
                    change.arrived[station.name] = at
                pending[station.name] = [c for c in pending[station.name] if station.name not in c.arrived]
        if stopped_at is not None and not any(pending.values()):
            return churn.changes
        if stopped_at is not None and now - stopped_at > drain:
            missing = [f"{name}: {c.kind} {c.key} -> {c.value}" for name, late in pending.items() for c in late]
            held = ", ".join(f"{s.name} {s.applied}" for s in stations)
            builds = ", ".join(f"{b.kind} {b.status}" for b in worker.builds)
            sys.exit(f"{len(missing)} HIS change(s) had not reached the station {drain:.0f} s after the last one: "
                     f"{'; '.join(missing)}\n(stations hold: {held}; builds: {builds})")
        time.sleep(0.2)


def median(values):
    return statistics.median(values) if values else float("nan")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(patients, stations, minutes, changes: list[Change], builds: list[Build]):
    lags = [c.lag(s.name) for c in changes for s in stations]
    incrementals = [b for b in builds[1:] if b.kind == SnapshotBuild.Kind.INCREMENTAL]
    build_seconds = median([b.seconds for b in incrementals])
    pulls = [p for s in stations for p in s.pulls]
    pull_seconds = median(pulls)
    worst = BUILD_EVERY + PULL_EVERY + build_seconds + pull_seconds
    full = builds[0]
    print(f"Station staleness: demo HIS of {patients:,} patients on PostgreSQL, {len(stations)} station(s), "
          f"{len(changes)} HIS changes over {minutes:g} min; incremental builds every {BUILD_EVERY} s (the worker's "
          f"job), pulls every {PULL_EVERY} s (`lifeline station serve`)")
    slowest = max((b.seconds for b in incrementals), default=float("nan"))
    apart = median([b.started - a.started for a, b in itertools.pairwise(builds[1:])])
    print(f"  incremental builds {len(incrementals):4d}   median {build_seconds:6.2f} s   max {slowest:6.2f} s   "
          f"(the full one: {full.seconds:.2f} s); started {apart:.0f} s apart (median)")
    print(f"  pulls applied      {len(pulls):4d}   median {pull_seconds:6.2f} s   max "
          f"{max(pulls, default=float('nan')):6.2f} s   (start of the pull to the new base data in place)")
    print(f"  baseline: the schedule's worst case 60 + 30 + {build_seconds:.2f} + {pull_seconds:.2f} = {worst:.1f} s")
    for name, value in (("p50", median(lags)), ("p95", percentile(lags, 95)), ("max", max(lags))):
        print(f"lag {name}  {value:7.1f} s   against the goal {GOAL:.0f} s {value / GOAL:6.2f}x   against seed 003's "
              f"day {value / SEED_003:8.5f}x   against the schedule's worst case {value / worst:6.2f}x")
    print(f"goal: lag <= {GOAL:.0f} s: {'met' if max(lags) <= GOAL else 'NOT met'} (max {max(lags):.1f} s; "
          f"p95 {percentile(lags, 95):.1f} s)")
    read = [b.his_cpu for b in incrementals if b.his_cpu is not None]
    if full.his_cpu is None or not read:
        print("HIS CPU per read: not measured (the PostgreSQL backend's /proc entry cannot be read here)")
        return
    print(f"HIS CPU per incremental read   median {median(read) * 1000:7.0f} ms   max {max(read) * 1000:7.0f} ms   "
          f"baseline: one full read {full.his_cpu * 1000:7.0f} ms   ratio {median(read) / full.his_cpu:6.3f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--minutes", type=float, default=4, help="how long the HIS changes (default 4)")
    parser.add_argument("--stations", type=int, default=1)
    parser.add_argument("--change-every", type=float, default=2.0, help="seconds between HIS changes (default 2)")
    parser.add_argument("--drain", type=float, default=240,
                        help="seconds the last changes may take to arrive before the run fails (default 240)")
    parser.add_argument("--quick", action="store_true", help="20,000 patients for 2 minutes")
    parser.add_argument("--his-database", default=f"lifeline_bench_staleness_{secrets.token_hex(4)}",
                        help="the scratch PostgreSQL database (created and dropped)")
    options = parser.parse_args()
    if options.quick:
        options.patients, options.minutes = 20_000, 2
    name = options.his_database
    admin = sa.create_engine(SERVER.format("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
            connection.exec_driver_sql(f"ALTER DATABASE {name} SET max_parallel_workers_per_gather = 0")
    except sa.exc.OperationalError as exc:
        shutil.rmtree(HOME, ignore_errors=True)
        sys.exit(f"this benchmark needs PostgreSQL at 127.0.0.1:5432 (user postgres): {exc.orig}")
    url = SERVER.format(name)
    server, stations, churn = None, [], None
    try:
        demo_his.build(url, options.patients, seed=1)
        MAPPING.write_text(demo_his.mapping_text(url), encoding="utf-8")
        call_command("migrate", verbosity=0)
        storage.keystore().create()
        keys = HOME / "station-keys.json"
        call_command("station", "keys", "--out", str(keys), stdout=open(os.devnull, "w"))
        measure_his_reads(name)
        server, server_url = start_server()
        for i in range(1, options.stations + 1):
            _, token = registry.create(name=f"挂号-{i:02d}", department="门诊挂号")
            stations.append(Workstation(f"station-{i:02d}", server_url, token, keys))
        worker = Worker()
        first_package(worker, stations)
        churn = Churn(url, options.change_every, options.patients)
        changes = live(worker, stations, churn, options.minutes, options.drain)
        worker.wait()
        report(options.patients, stations, options.minutes, changes, worker.builds)
    finally:
        if churn is not None:
            churn.stop.set()
            churn.engine.dispose()
        for station in stations:
            station.stop()
        if server is not None:
            stop(server)
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
