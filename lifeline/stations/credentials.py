"""The emergency credentials a station receives: `signed(now, station)` is DIR/operators.json's
content, written by the workstation's own `operators.write` (so the station reads exactly the
format it verifies) and signed with the server's current package key, whose public half every
station holds. Only credentials still valid on that station are sent (those choosing no station
are valid on all); each carries its password hash, never a password."""
import json
import tempfile
from pathlib import Path

from django.db.models import Q

from lifeline.snapshots import storage
from lifeline.stations.models import EmergencyCredential, Station
from lifeline.workstation import operators


def valid_on(station: Station, now):
    """The credentials `station` may use at `now`."""
    return (EmergencyCredential.objects.filter(valid_until__gt=now)
            .filter(Q(stations=None) | Q(stations=station)).distinct())


def signed(now, station: Station) -> dict:
    found = [{"code": c.code, "name": c.name, "role": c.role, "password": c.password,
              "valid_until": c.valid_until.isoformat(), "supervisor": c.supervisor}
             for c in valid_on(station, now)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / operators.FILE
        operators.write(path, found, storage.keystore().current(), now)
        return json.loads(path.read_text(encoding="utf-8"))
