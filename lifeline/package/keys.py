"""Lifeline's key store for snapshot packages.

A key has an id and two halves: a 256-bit AES-GCM key that encrypts packages and an
Ed25519 key pair that signs them. Stations hold the AES key and the public half only
(`public_only`), enough to decrypt and verify, not to sign.

Keys live in a directory, one file per key, or all in one file; the caller names which (the
server from its settings, a station from its command line). Files are created 0600 and
refused when others may read them. Rotation: `create` adds a key and new packages use the
newest one; older keys stay to read older packages. Keys never travel inside a package; a
package names its key by id.
"""
import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lifeline.core import clock
from lifeline.his.wording import gettext as _


class KeyStoreError(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Key:
    id: str
    created: datetime
    secret: bytes  # AES-256-GCM key
    public: bytes  # Ed25519 public key (raw 32 bytes)
    signing: bytes | None = None  # Ed25519 private key (raw 32 bytes); absent on stations

    @classmethod
    def generate(cls, now: datetime) -> "Key":
        private = Ed25519PrivateKey.generate()
        return cls(id=f"{now:%Y%m%d}-{secrets.token_hex(4)}", created=now, secret=secrets.token_bytes(32),
                   public=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
                   signing=private.private_bytes_raw())

    def sign(self, message: bytes) -> bytes:
        if self.signing is None:
            raise KeyStoreError(_("key %(id)s has no signing half here (a station's copy); packages are built "
                                  "where the full key is") % {"id": self.id})
        return Ed25519PrivateKey.from_private_bytes(self.signing).sign(message)

    def verifies(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
            return True
        except Exception:  # InvalidSignature, or a signature of the wrong length
            return False

    def check_value(self, context: bytes) -> str:
        """A value that tells whether a package was encrypted with this key, revealing nothing of it."""
        mac = hmac.HMAC(self.secret, hashes.SHA256())
        mac.update(b"lifeline snapshot key check\0" + context)
        return mac.finalize()[:16].hex()

    def fingerprint(self) -> str:
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self.public)
        return digest.finalize()[:8].hex(":")

    def public_only(self) -> "Key":
        return Key(self.id, self.created, self.secret, self.public)

    def to_json(self) -> dict:
        data = {"id": self.id, "created": self.created.isoformat(), "cipher": "AES-256-GCM",
                "secret": _b64(self.secret), "signature": "Ed25519", "public": _b64(self.public)}
        if self.signing:
            data["signing"] = _b64(self.signing)
        return data

    @classmethod
    def from_json(cls, data: dict, where: str) -> "Key":
        try:
            key = cls(id=data["id"], created=datetime.fromisoformat(data["created"]),
                      secret=base64.b64decode(data["secret"]), public=base64.b64decode(data["public"]),
                      signing=base64.b64decode(data["signing"]) if data.get("signing") else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyStoreError(_("%(where)s: not a Lifeline snapshot key (%(error)s)") % {
                "where": where, "error": f"{type(exc).__name__}: {exc}"}) from None
        if len(key.secret) != 32 or len(key.public) != 32:
            raise KeyStoreError(_("%(where)s: key %(id)s has the wrong length (AES-256 and Ed25519 keys are 32 bytes)")
                                % {"where": where, "id": key.id})
        return key


class KeyStore:
    """Keys in one directory (a file per key) or in one file."""

    def __init__(self, directory: Path | None = None, file: Path | None = None):
        self.directory = Path(directory) if directory else None
        self.file = Path(file) if file else None

    @property
    def where(self) -> str:
        return str(self.file or self.directory)

    def keys(self) -> list[Key]:
        """Every key, oldest first."""
        if self.file:
            if not self.file.exists():
                return []
            data = _read_json(self.file)
            found = [Key.from_json(item, f"{self.file} key {i + 1}") for i, item in enumerate(data.get("keys", []))]
        elif self.directory and self.directory.is_dir():
            found = [Key.from_json(_read_json(path), str(path)) for path in sorted(self.directory.glob("*.json"))]
        else:
            found = []
        return sorted(found, key=lambda k: (k.created, k.id))

    def get(self, key_id: str) -> Key:
        for key in self.keys():
            if key.id == key_id:
                return key
        raise KeyStoreError(_("key %(id)s is not in the key store at %(where)s (a package can only be read with the "
                              "key it was encrypted with)") % {"id": key_id, "where": self.where})

    def current(self) -> Key:
        """The newest key: new packages are encrypted and signed with it."""
        keys = self.keys()
        if not keys:
            raise KeyStoreError(_("no key in the key store at %(where)s; create one with `lifeline snapshot key "
                                  "create`") % {"where": self.where})
        return keys[-1]

    def create(self, now: datetime | None = None) -> Key:
        key = Key.generate(now or clock.now())
        self.add(key)
        return key

    def add(self, key: Key):
        if self.file:
            keys = [k for k in self.keys() if k.id != key.id] + [key]
            _write_private(self.file, {"keys": [k.to_json() for k in keys]})
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.directory.chmod(0o700)
            _write_private(self.directory / f"{key.id}.json", key.to_json())


def _read_json(path: Path) -> dict:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyStoreError(_("%(path)s may be read by others (mode %(mode)s); keys must be 0600: chmod 600 %(path)s")
                            % {"path": path, "mode": f"{mode:o}"})
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyStoreError(_("cannot read the key file %(path)s: %(error)s") % {"path": path, "error": exc}) from None


def _write_private(path: Path, data: dict):
    """Write atomically, readable by the owner only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
