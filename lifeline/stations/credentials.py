"""The emergency credentials a station receives: `signed(now)` is DIR/operators.json's content,
written by the workstation's own `operators.write` (so the station reads exactly the format it
verifies) and signed with the server's current package key, whose public half every station
holds. Only credentials still valid are sent; each carries its password hash, never a password."""
import json
import tempfile
from pathlib import Path

from lifeline.snapshots import storage
from lifeline.stations.models import EmergencyCredential
from lifeline.workstation import operators


def signed(now) -> dict:
    found = [{"code": c.code, "name": c.name, "role": c.role, "password": c.password,
              "valid_until": c.valid_until.isoformat(), "supervisor": c.supervisor}
             for c in EmergencyCredential.objects.filter(valid_until__gt=now)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / operators.FILE
        operators.write(path, found, storage.keystore().current(), now)
        return json.loads(path.read_text(encoding="utf-8"))
