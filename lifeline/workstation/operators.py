"""Emergency credentials (应急账号): who may work at a station, written by the server beside the
package it distributes, read by the station.

    DIR/operators.json = {"body": {"key_id", "issued_at", "operators": [
                              {"code", "name", "role", "password", "valid_until", "supervisor"}]},
                          "signature": base64 Ed25519 over the body's canonical JSON}

The package format has no operators table yet, so the list travels as this separate file,
signed with the package key named by `key_id` (the station holds its public half): a station
refuses a list it cannot verify, so nobody adds a credential by editing the file. `password` is
a hash of Django's password hasher (`make_password`), never the password; the station checks it
with `check_password`. A `supervisor` may declare downtime on the station with their
credential (the emergency PIN). Credentials hold only in downtime or a drill (`Station.act`),
and until `valid_until`.
"""
import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lifeline.package.keys import Key, KeyStore, KeyStoreError
from lifeline.workstation.journal import canonical_json
from lifeline.workstation.station import Operator

FILE = "operators.json"


class CredentialsInvalid(Exception):
    """The operators file is missing, damaged or not signed by a key the station holds."""


@dataclass(frozen=True)
class Credential:
    operator: Operator
    password: str  # a Django password hash
    supervisor: bool = False


def write(path, operators: list[dict], key: Key, issued_at: datetime):
    """The server's side: sign `operators` (each code, name, role, password hash, valid_until as
    ISO text, supervisor) with `key` (its signing half) into `path`."""
    body = {"key_id": key.id, "issued_at": issued_at.isoformat(), "operators": operators}
    signature = base64.b64encode(key.sign(canonical_json(body).encode())).decode()
    Path(path).write_text(json.dumps({"body": body, "signature": signature}, ensure_ascii=False, indent=1),
                          encoding="utf-8")


def load(path, keystore: KeyStore) -> dict[str, Credential]:
    """The credentials by staff code; CredentialsInvalid unless the file verifies."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        body, signature = data["body"], base64.b64decode(data["signature"])
        key = keystore.get(body["key_id"])
    except (OSError, ValueError, KeyError, TypeError, KeyStoreError) as exc:
        raise CredentialsInvalid(f"{path}: {exc}") from None
    if not key.verifies(signature, canonical_json(body).encode()):
        raise CredentialsInvalid(f"{path}: the signature does not verify with key {key.id}")
    found = {}
    for item in body["operators"]:
        operator = Operator(item["code"], item["name"], item["role"], datetime.fromisoformat(item["valid_until"]))
        found[operator.code] = Credential(operator, item["password"], bool(item.get("supervisor")))
    return found
