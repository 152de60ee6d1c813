"""Alert intake: Alertmanager payloads posted as fast as possible to `lifeline serve` (gunicorn),
against the same server's /healthz in the same run; then 10,000 duplicates of one alert.

Runs on PostgreSQL database lifeline_bench_alerts (re-created) on the server of
LIFELINE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/). Client processes post
in parallel for BENCH_SECONDS (default 30) per phase; each payload carries BENCH_PAYLOAD_ALERTS
alerts (default 10), new fingerprints in a few groups, as Alertmanager sends a group's alerts.
"Stored durably" counts only alerts answered 200 and found in the database afterwards.
Prints: /healthz requests/s, alerts/s and requests/s on the receiver, their ratio, and how
many incidents the duplicates opened (goal: one).
"""
import json
import os
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.detection import served  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
PAYLOAD_ALERTS = int(os.environ.get("BENCH_PAYLOAD_ALERTS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
DUPLICATES = int(os.environ.get("BENCH_DUPLICATES", "10000"))
GROUPS = 4
PG = os.environ.get("LIFELINE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def healthz(port: int) -> int:
    """Requests answered 200 on /healthz within SECONDS."""
    done, end = 0, time.monotonic() + SECONDS
    while time.monotonic() < end:
        done += served.request(port, "GET", "/healthz")[0] == 200
    return done


def post_alerts(args) -> tuple[int, list[str]]:
    """Payloads of new alerts within SECONDS; (requests answered 200, the fingerprints they carried)."""
    port, path, client = args
    done, acknowledged, batch, end = 0, [], 0, time.monotonic() + SECONDS
    while time.monotonic() < end:
        fingerprints = [f"c{client}-b{batch}-{i}" for i in range(PAYLOAD_ALERTS)]
        body = served.alertmanager_payload(fingerprints, group=f"outage-{batch % GROUPS}")
        if served.request(port, "POST", path, body)[0] == 200:
            done += 1
            acknowledged.extend(fingerprints)
        batch += 1
    return done, acknowledged


def post_duplicates(args) -> int:
    """The same alert, one per request; returns how many were answered 200."""
    port, path, count = args
    body = served.alertmanager_payload(["the-same-alert"], group="duplicates")
    return sum(served.request(port, "POST", path, body)[0] == 200 for _ in range(count))


def count(env, expression: str):
    code = f"import json; from lifeline.detection.models import *; print(json.dumps({expression}))"
    return json.loads(served.lifeline(env, "shell", "-c", code).splitlines()[-1])


def main():
    tmp = Path(tempfile.mkdtemp(prefix="lifeline-bench-alerts-"))
    port = served.free_port()
    env = served.environment(served.fresh_database(PG, "lifeline_bench_alerts", tmp), tmp, port)
    served.lifeline(env, "migrate", "-v0")
    served.lifeline(env, "plan", "load", "lifeline/plans/bundled/001_internet_hospital.yaml")
    receiver = served.lifeline(env, "integration", "create", "--kind", "alertmanager", "--name", "bench",
                               "--plan", "internet_hospital", "--scenario", "database_crash").splitlines()[-1]
    path = receiver.removeprefix(f"http://127.0.0.1:{port}")
    server = served.Server(env, port, tmp / "serve.log").start()
    try:
        with Pool(CLIENTS) as pool:
            health = sum(pool.map(healthz, [port] * CLIENTS)) / SECONDS
            results = pool.map(post_alerts, [(port, path, c) for c in range(CLIENTS)])
            requests = sum(done for done, _fps in results) / SECONDS
            acknowledged = [fp for _done, fps in results for fp in fps]
            stored = count(env, "Alert.objects.count()")
            assert stored >= len(acknowledged), (stored, len(acknowledged))
            alerts_per_s = len(acknowledged) / SECONDS
            share, rest = divmod(DUPLICATES, CLIENTS)
            answered = sum(pool.map(post_duplicates, [(port, path, share + (c < rest)) for c in range(CLIENTS)]))
        incidents = count(env, "list(AlertGroup.objects.filter(key='duplicates').values_list('incident', flat=True))")
        duplicate_rows = count(env, "Alert.objects.filter(fingerprint='the-same-alert').count()")
    finally:
        server.stop()
    print(f"alerts: {CLIENTS} client processes, {SECONDS:g} s per phase, {PAYLOAD_ALERTS} alerts per payload")
    print(f"  /healthz                      {health:8.0f} requests/s")
    print(f"  alertmanager receiver         {requests:8.0f} requests/s  = {alerts_per_s:8.0f} alerts/s stored durably "
          f"({len(acknowledged)} answered 200, {stored} in the database)")
    print(f"  ratio alerts/s : healthz requests/s = {alerts_per_s / health:.2f}; "
          f"requests/s ratio = {requests / health:.2f}")
    print(f"  {answered} duplicates answered 200: {duplicate_rows} alert row, "
          f"{len(set(incidents) - {None})} incident(s) (goal: one)")


if __name__ == "__main__":
    main()
