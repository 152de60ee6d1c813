"""The snapshot package file: writing, reading and verifying one package.

A package is one file. Inside, encrypted, is a SQLite database (tables.py); the manifest
(JSON) says what the package holds and is readable without the key: it carries no patient
data, only ids, counts, checksums, watermarks and hashes.

Layout (integers big-endian):

    magic       b"LLSNAP\\0\\1"
    header      u32 length + JSON {"format", "frame_size", "key_check", "manifest"}
    frames      u8 final flag + u32 length + 12-byte nonce + AES-256-GCM ciphertext and tag,
                one frame per `frame_size` bytes of the database; the associated data binds the
                package id, the frame's index and the final flag, so frames cannot be
                reordered, moved between packages or cut off (a file without its final frame
                is truncated)
    signature   64 bytes, Ed25519 over the SHA-256 of everything before it (so the file's own
                SHA-256 is the same running hash, one pass)

Reading streams frame by frame in bounded memory and first checks the signature over the
whole file. The database is decrypted only into a private directory (private.py) under the
`work` root the caller passes, removed when done. Nothing here reads settings: the key store
and the work root are passed in (the server's come from its settings, a station's from its
command line).
"""
import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lifeline.package.keys import Key, KeyStore
from lifeline.package.private import private_dir
from lifeline.package.tables import HASH, TABLES, PackageInvalid, keys_digest, table_digest

SUFFIX = ".llsnap"
FORMAT = 1
MAGIC = b"LLSNAP\0\1"
FRAME_SIZE = 1 << 20
SIGNATURE_SIZE = 64
_MAX_HEADER = 4 << 20


def _aad(package_id: str, index: int, final: bool) -> bytes:
    return b"lifeline-snapshot\0" + package_id.encode() + index.to_bytes(8) + bytes([final])


def _signed_message(before_signature: bytes) -> bytes:
    return b"lifeline-snapshot-signature\0" + before_signature


def write(plain: Path, out: Path, manifest: dict, key: Key, frame_size: int = FRAME_SIZE) -> str:
    """Encrypt and sign the database `plain` into the new file `out`, synced to disk; returns
    the SHA-256 of the file."""
    package_id = manifest["package_id"]
    header = json.dumps({"format": FORMAT, "frame_size": frame_size, "key_check": key.check_value(package_id.encode()),
                         "manifest": manifest}, sort_keys=True, ensure_ascii=False).encode()
    aes = AESGCM(key.secret)
    whole = hashlib.sha256()

    def put(data: bytes):
        target.write(data)
        whole.update(data)

    with open(plain, "rb") as source, open(out, "xb") as target:
        put(MAGIC + len(header).to_bytes(4) + header)
        chunk, index = source.read(frame_size), 0
        while True:
            following = source.read(frame_size) if chunk else b""
            final = not following
            nonce = os.urandom(12)
            sealed = aes.encrypt(nonce, chunk, _aad(package_id, index, final))
            frame = bytes([final]) + len(sealed).to_bytes(4) + nonce + sealed
            put(frame)
            if final:
                break
            chunk, index = following, index + 1
        put(key.sign(_signed_message(whole.copy().digest())))
        target.flush()
        os.fsync(target.fileno())
    return whole.hexdigest()


@dataclass
class Package:
    path: Path
    manifest: dict
    frame_size: int
    key_check: str
    frames_at: int

    @property
    def id(self) -> str:
        return self.manifest["package_id"]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def parent_id(self) -> str | None:
        return (self.manifest.get("parent") or {}).get("package_id")


def open_package(path) -> Package:
    """The package's manifest, read without the key (nothing checked yet but the form)."""
    path = Path(path)
    try:
        with open(path, "rb") as source:
            magic = source.read(len(MAGIC))
            if magic != MAGIC:
                raise PackageInvalid(f"{path} is not a Lifeline snapshot package")
            length = int.from_bytes(_exactly(source, 4, "header"))
            if length > _MAX_HEADER:
                raise PackageInvalid("the header is damaged (impossible length)")
            header = _exactly(source, length, "header")
    except OSError as exc:
        raise PackageInvalid(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(header)
        manifest, frame_size, key_check = data["manifest"], int(data["frame_size"]), data["key_check"]
        manifest["package_id"], manifest["key_id"], manifest["kind"]
    except (ValueError, KeyError, TypeError):
        raise PackageInvalid("the header is damaged (not the JSON of a package header)") from None
    if data.get("format") != FORMAT:
        raise PackageInvalid(f"package format {data.get('format')} is not supported (this Lifeline reads {FORMAT})")
    return Package(path, manifest, frame_size, key_check, len(MAGIC) + 4 + length)


def _exactly(source, size: int, what: str) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise PackageInvalid(f"the file is truncated (it ends inside the {what})")
    return data


def _frames(package: Package, source):
    """(index, final, nonce, sealed, raw frame) for each frame; then checks the signature's place."""
    source.seek(package.frames_at)
    index = 0
    while True:
        head = source.read(5)
        if len(head) < 5:
            raise PackageInvalid(f"the file is truncated (it ends before frame {index}; the last frame is missing)")
        final, length = head[0], int.from_bytes(head[1:])
        if final > 1 or not 16 <= length <= package.frame_size + 16:
            raise PackageInvalid(f"frame {index} is damaged (impossible flag or length)")
        nonce = _exactly(source, 12, f"frame {index}")
        sealed = _exactly(source, length, f"frame {index}")
        yield index, bool(final), nonce, sealed, head + nonce + sealed
        if final:
            return
        index += 1


def check_signature(package: Package, key: Key):
    """Pass 1: the whole file is as its builder signed it."""
    with open(package.path, "rb") as source:
        signed = hashlib.sha256(source.read(package.frames_at))
        for *_frame, raw in _frames(package, source):
            signed.update(raw)
        signature = source.read(SIGNATURE_SIZE + 1)
    if len(signature) < SIGNATURE_SIZE:
        raise PackageInvalid("the file is truncated (the signature is missing)")
    if len(signature) > SIGNATURE_SIZE:
        raise PackageInvalid("the file has bytes after its signature (damaged or appended to)")
    if not key.verifies(signature, _signed_message(signed.digest())):
        raise PackageInvalid(f"the signature does not match: the file was changed after it was signed, "
                             f"or not signed by key {key.id}")


def key_for(package: Package, keystore: KeyStore) -> Key:
    key = keystore.get(package.manifest["key_id"])
    if key.check_value(package.id.encode()) != package.key_check:
        raise PackageInvalid(f"wrong key: the key {key.id} of the key store at {keystore.where} is not the key "
                             f"this package was encrypted with")
    return key


def decrypt(package: Package, key: Key, plain: Path):
    """Pass 2: the database, into the new file `plain` (in a private directory)."""
    aes = AESGCM(key.secret)
    fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(package.path, "rb") as source, os.fdopen(fd, "wb") as target:
        for index, final, nonce, sealed, _raw in _frames(package, source):
            try:
                target.write(aes.decrypt(nonce, sealed, _aad(package.id, index, final)))
            except InvalidTag:
                raise PackageInvalid(f"frame {index} does not decrypt: the package is damaged or was changed") \
                    from None


@contextmanager
def decrypted(path, keystore: KeyStore, work: Path):
    """(package, path of its database in a private directory under `work`) after the signature
    is checked; the plaintext is removed when the block ends."""
    with private_dir(work) as private:
        plain = private / "package.sqlite3"
        yield unseal(path, plain, keystore), plain


@contextmanager
def opened(path, keystore: KeyStore, work: Path):
    """(package, read-only SQLite connection to its database), as `decrypted`."""
    with decrypted(path, keystore, work) as (package, plain):
        db = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        try:
            yield package, db
        finally:
            db.close()


def unseal(path, plain: Path, keystore: KeyStore) -> Package:
    """Check the signature, then decrypt the database into the new file `plain`."""
    package, key = _checked(path, keystore)
    decrypt(package, key, plain)
    return package


def _checked(path, keystore: KeyStore) -> tuple[Package, Key]:
    package = open_package(path)
    key = key_for(package, keystore)
    check_signature(package, key)
    return package, key


def verify(path, keystore: KeyStore, work: Path) -> Package:
    """Signature, decryption, and every entity's row counts and checksums; PackageInvalid if not
    good. The plaintext is decrypted under `work` and removed."""
    with opened(path, keystore, work) as (package, db):
        verified(package, db)
        return package


def verified(package: Package, db: sqlite3.Connection):
    """check_contents, a damaged database inside being PackageInvalid too."""
    try:
        check_contents(package, db)
    except sqlite3.DatabaseError as exc:
        raise PackageInvalid(f"the database inside is damaged: {exc}") from None


def check_contents(package: Package, db: sqlite3.Connection):
    entities = package.manifest.get("entities", {})
    if set(entities) != set(TABLES):
        raise PackageInvalid(f"the manifest lists the entities {', '.join(sorted(entities))}, "
                             f"not the canonical ones")
    for name, table in TABLES.items():
        stated = entities[name]
        _check_columns(db, table.name, table.columns + [HASH])
        found = table_digest(db, table)
        if (found.count, found.hexdigest()) != (stated["rows"], stated["digest"]):
            raise PackageInvalid(f"{name}: {found.count:,} rows with checksum {found.hexdigest()}, but the manifest "
                                 f"says {stated['rows']:,} rows with checksum {stated['digest']}")
        if package.kind == "incremental":
            _check_columns(db, table.deleted, table.entity.key)
            gone = keys_digest(db, table)
            if (gone.count, gone.hexdigest()) != (stated["deleted"], stated["deleted_digest"]):
                raise PackageInvalid(f"{name}: {gone.count:,} deleted keys with checksum {gone.hexdigest()}, but "
                                     f"the manifest says {stated['deleted']:,} with {stated['deleted_digest']}")


def _check_columns(db, table: str, columns: list[str]):
    found = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
    if found != list(columns):
        raise PackageInvalid(f"table {table} is missing or has the columns {found}, not {list(columns)}")



def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(FRAME_SIZE):
            digest.update(block)
    return digest.hexdigest()
