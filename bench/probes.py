"""Probes: time from a watched server stopping to the first notification delivered, with the
real `lifeline worker` process running, in real time (goal: ≤ 15 s at a 5 s interval).

Runs on a throwaway SQLite file (or LIFELINE_DATABASE_URL if set: use a database of your own).
Plan 001 is active; its IT director is on duty with a WeCom bot channel pointing at a local
fake WeCom (LIFELINE_WECOM_API_BASE). RUNS components (挂号, 问诊, 开药: each its own
incident) are each watched by an HTTP probe on its own local server, 5 s interval, down after
2 failures. One after another, a server is stopped at a random point of its probe's grid and
the time until the fake WeCom receives the page is taken.
Prints each run next to the probe interval (the baseline), then the median and the worst.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import django

INTERVAL = 5
DOWN_AFTER = 2
COMPONENTS = [("registration", "挂号"), ("consultation", "问诊"), ("prescription", "开药")]
RUNS = int(os.environ.get("BENCH_PROBE_RUNS", len(COMPONENTS)))
GIVE_UP_SECONDS = 60
tmp = Path(tempfile.mkdtemp(prefix="lifeline-bench-"))
os.environ.setdefault("LIFELINE_DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
os.environ.setdefault("LIFELINE_DATA_DIR", str(tmp))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from lifeline.core import clock  # noqa: E402
from lifeline.detection.models import Probe  # noqa: E402
from lifeline.people.models import ContactChannel, Member, Shift  # noqa: E402
from lifeline.plans import services as plans  # noqa: E402
from lifeline.status.models import Component  # noqa: E402


class Server:
    """A local HTTP server answering `handle(path, body) -> (status, JSON)`, on a free port."""

    def __init__(self, handle):
        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                status, answer = handle(self.path, self.rfile.read(length) if length else b"")
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


class FakeWeCom:
    """Answers as the WeCom bot API does, and notes when each message arrived."""

    def __init__(self):
        self.arrivals = []
        self.server = Server(self.handle)

    def handle(self, path, body):
        if path.startswith("/cgi-bin/webhook/send"):
            self.arrivals.append((time.monotonic(), json.loads(body)["text"]["content"]))
        return 200, {"errcode": 0, "errmsg": "ok"}


def setup(wecom: FakeWeCom) -> list[tuple[Server, Probe]]:
    call_command("migrate", verbosity=0)
    plans.load_files([next(Path(plans.__file__).parent.glob("bundled/001_*.yaml"))])
    now = clock.now()
    director = Member.objects.create(name="王建国", phone="13800000001")
    Shift.objects.create(role="it_director", member=director, starts_at=now - timedelta(days=1),
                         ends_at=now + timedelta(days=1))
    ContactChannel.objects.create(member=director, kind="wecom", url="wecombot://bench-key")
    watched = []
    for key, name in COMPONENTS[:RUNS]:
        server = Server(lambda path, body: (200, {"status": "UP"}))
        component = Component.objects.create(key=key, name=name)
        probe = Probe(name=f"{name}服务", kind="http", component=component, interval_seconds=INTERVAL,
                      timeout_seconds=2, down_after=DOWN_AFTER,
                      config={"url": server.url + "/health", "json_path": "status", "json_value": "UP"})
        probe.full_clean()
        probe.save()
        watched.append((server, probe))
    return watched


def wait_for(condition, what: str):
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting {GIVE_UP_SECONDS} s for {what}")
        time.sleep(0.05)


def main():
    wecom = FakeWeCom()
    watched = setup(wecom)
    env = {**os.environ, "LIFELINE_WECOM_API_BASE": wecom.server.url, "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "lifeline.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: all(Probe.objects.get(pk=p.pk).state == Probe.State.UP for _s, p in watched),
                 "the probes to be up")
        print(f"probe interval {INTERVAL} s (baseline), down after {DOWN_AFTER} failures, "
              f"real `lifeline worker` process, {connection.vendor}")
        times = []
        for number, (server, probe) in enumerate(watched, 1):
            time.sleep(random.uniform(0, INTERVAL))  # stop anywhere on the probe's grid
            pages = len(wecom.arrivals)
            stopped = time.monotonic()
            server.stop()
            wait_for(lambda pages=pages: len(wecom.arrivals) > pages, f"the page of {probe.name}")
            arrived, text = wecom.arrivals[pages]
            times.append(arrived - stopped)
            print(f"run {number}: {probe.component.name} stopped → first notification delivered "
                  f"{times[-1]:5.1f} s = {times[-1] / INTERVAL:4.2f} × interval   ({text.splitlines()[0]})")
        print(f"median {statistics.median(times):.1f} s, worst {max(times):.1f} s "
              f"(goal ≤ 15 s at a {INTERVAL} s interval: {'met' if max(times) <= 15 else 'NOT met'})")
    finally:
        worker.terminate()
        worker.wait(30)
        wecom.server.stop()


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)
