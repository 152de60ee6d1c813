"""Nothing acknowledged is lost: kill -9 `lifeline serve` while alerts are being posted; after a
restart every alert that was answered 2xx is in the database.

PostgreSQL pass: database lifeline_alerts_kill on the server of LIFELINE_DATABASE_URL.
SQLite pass: a SQLite file (the server is separate processes, so not the in-memory test database).
"""
import json
import os
import threading
import time

import pytest
from django.conf import settings

from tests.detection import served

PAYLOAD_ALERTS = 5
# On Lifeline's database engine without the test database: the PostgreSQL pass must run it too.
pytestmark = pytest.mark.django_database


@pytest.fixture
def server(tmp_path):
    pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    url = served.fresh_database(os.environ["LIFELINE_DATABASE_URL"] if pg else None, "lifeline_alerts_kill", tmp_path)
    port = served.free_port()
    env = served.environment(url, tmp_path, port)
    served.lifeline(env, "migrate", "-v0")
    instance = served.Server(env, port, tmp_path / "serve.log", workers=2)
    yield instance
    instance.stop()


def test_every_alert_answered_2xx_survives_kill_9(server):
    receiver = served.lifeline(server.env, "integration", "create", "--kind", "alertmanager",
                               "--name", "Prometheus").strip().splitlines()[-1]
    path = receiver.removeprefix(f"http://127.0.0.1:{server.port}")
    server.start()
    acknowledged, refused, stop = [], [], threading.Event()

    def post(poster):
        batch = 0
        while not stop.is_set():
            fingerprints = [f"p{poster}-b{batch}-{i}" for i in range(PAYLOAD_ALERTS)]
            status, _body = served.request(server.port, "POST", path, served.alertmanager_payload(fingerprints))
            (acknowledged if 200 <= status < 300 else refused).extend(fingerprints)
            batch += 1

    posters = [threading.Thread(target=post, args=(n,)) for n in range(3)]
    for thread in posters:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 300 * PAYLOAD_ALERTS and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()  # mid-stream: the posters are still sending
    time.sleep(0.5)  # let the posters see the dead server
    stop.set()
    for thread in posters:
        thread.join()

    assert len(acknowledged) >= 300 * PAYLOAD_ALERTS
    assert refused, "the kill should have cut some requests off"
    server.start()
    stored = set(json.loads(served.lifeline(server.env, "shell", "-c", (
        "import json; from lifeline.detection.models import Alert; "
        "print(json.dumps(list(Alert.objects.values_list('fingerprint', flat=True))))")).splitlines()[-1]))
    assert set(acknowledged) <= stored
    assert served.request(server.port, "POST", path, served.alertmanager_payload(["after"]))[0] == 200
