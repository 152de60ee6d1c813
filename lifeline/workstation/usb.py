"""The journal on a USB stick: one encrypted, signed file, for a station with no network.

    exported = usb.export(directory, keystore, token, to=Path("/media/usb"), code="挂号-01")
    station, contents = usb.read(path, keystore, signers={public_hex: station}, work=...)

The file is a snapshot package file (package/container.py: the same frames, AES-256-GCM with
the package key the station holds, an Ed25519 signature over the whole file), of kind
"journal": inside, the station's events as canonical JSON, one a line, in sequence order. The
manifest (readable without the key, no patient data) names the station's code, the events'
count, first and last sequence number, the head's hash and the signer's public key.

The signature: a station holds the package keys' public halves only, so it signs with its own
Ed25519 key, derived from its token (HKDF-SHA256 over the token's SHA-256, the digest the server
stores). The server derives each station's public key from that digest and takes a file only
from a station in service. It proves the file was written by the holder of the station's token
(or someone who can read the server's station table) and not changed since.

Export reads a consistent copy of the journal (SQLite's backup API, into a private directory,
encrypted with the station's key like the journal itself), verifies its chain, writes the file
beside its final name, syncs it, drops it from the page cache and reads it back (signature,
decryption, every event, the head) before it takes its final name and says done.
"""
import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lifeline.his.wording import gettext as _
from lifeline.package import container
from lifeline.package.keys import Key, KeyStore
from lifeline.package.private import private_dir
from lifeline.package.tables import PackageInvalid
from lifeline.workstation import journal, store
from lifeline.workstation.station import JOURNAL

SUFFIX = ".lljournal"
KIND = "journal"
_SIGNING_CONTEXT = b"lifeline station journal signing v1"


class ExportFailed(Exception):
    """The journal could not be exported (or did not read back as written); says why."""


@dataclass(frozen=True)
class Contents:
    manifest: dict
    events: list[dict]  # journal.Event fields, in sequence order


@dataclass(frozen=True)
class Exported:
    path: Path
    events: int
    head_seq: int
    head_hash: str


def token_digest(token: str) -> str:
    """The token's SHA-256, as the server stores it (stations.registry.token_digest)."""
    return hashlib.sha256(token.encode()).hexdigest()


def signing_key(digest: str, package_key: Key) -> Key:
    """The station's signing key: Ed25519 derived from its token's digest, paired with the
    package key's AES half (the file is encrypted with it, and names it)."""
    private = _private_key(digest)
    return Key(package_key.id, package_key.created, package_key.secret, private.public_key().public_bytes_raw(),
               private.private_bytes_raw())


def signer_of(digest: str) -> str:
    """The public key (hex) that verifies the files of the station with this token digest."""
    return _private_key(digest).public_key().public_bytes_raw().hex()


def _private_key(digest: str) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SIGNING_CONTEXT).derive(digest.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def export(directory: Path, keystore: KeyStore, token: str, to: Path, code: str, now: datetime,
           say=lambda text: None) -> Exported:
    """Write the whole journal to the directory `to` as one file, read it back; ExportFailed."""
    directory, to = Path(directory), Path(to)
    if not (directory / JOURNAL).is_file():
        raise ExportFailed(_("--dir: %s holds no journal (station.sqlite3)") % directory)
    if not to.is_dir():
        raise ExportFailed(_("--to: %s is not a directory (is the USB stick mounted?)") % to)
    key = keystore.current()
    signer = signing_key(token_digest(token), key)
    data_key = store.data_key(keystore.file)
    with private_dir(directory / ".work") as private:
        events = _consistent_events(directory / JOURNAL, private / "copy.sqlite3", data_key)
        plain = private / "events.jsonl"
        with open(plain, "w", encoding="utf-8") as out:
            out.writelines(journal.canonical_json(event) + "\n" for event in events)
        last = events[-1] if events else {"seq": 0, "hash": journal.GENESIS}
        manifest = {"package_id": f"journal-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}", "kind": KIND,
                    "key_id": key.id, "station": code, "signer": signer.public.hex(), "events": len(events),
                    "first_seq": events[0]["seq"] if events else 0, "last_seq": last["seq"],
                    "head_hash": last["hash"], "exported_at": now.isoformat()}
        final = to / f"{code}-{manifest['package_id']}{SUFFIX}"
        part = final.with_name(final.name + ".part")
        part.unlink(missing_ok=True)
        container.write(plain, part, manifest, signer)
        _sync_dir(to)
        _drop_cache(part)
        say(_("written %(count)d events to %(path)s; reading it back") % {"count": len(events), "path": part})
        try:
            back = read(part, keystore, {signer.public.hex(): code}, private)[1]
        except PackageInvalid as bad:
            part.unlink(missing_ok=True)
            raise ExportFailed(_("the file did not read back as written (%s): try another USB stick") % bad) from None
        if back.events != events:
            part.unlink(missing_ok=True)
            raise ExportFailed(_("the file did not read back as written: try another USB stick"))
    os.replace(part, final)
    _sync_dir(to)
    return Exported(final, len(events), last["seq"], last["hash"])


def _consistent_events(path: Path, copy: Path, data_key: bytes) -> list[dict]:
    """Every event of a copy taken in one step (the desk may be writing meanwhile), its chain
    verified: ExportFailed naming the sequence number where it breaks."""
    source = store.connect(path, data_key, durable=False)
    target = store.connect(copy, data_key, durable=False)
    try:
        source.backup(target)
        verified = journal.verify(target)
        if not verified.ok:
            raise ExportFailed(_("the station's journal is damaged at sequence number %(seq)d (%(reason)s): call IT; "
                                 "nothing was exported") % {"seq": verified.first_bad, "reason": verified.reason})
        copied = journal.Journal(target, journal.InForce("", "", ""), datetime.now)
        return [asdict(event) for event in copied.events()]
    finally:
        source.close()
        target.close()


def read(path: Path, keystore: KeyStore, signers: dict, work: Path) -> tuple[object, Contents]:
    """(the signer's value in `signers`, the file's contents) once the signature verifies with
    a signer of `signers` (public key hex -> who) and every event decrypts and matches the
    manifest; PackageInvalid saying why otherwise."""
    try:
        package = container.open_package(path)
    except PackageInvalid:
        raise PackageInvalid(_("not a journal file, or a damaged one")) from None
    manifest = package.manifest
    if package.kind != KIND:
        raise PackageInvalid(_("%s is a snapshot package, not a station's journal file") % Path(path).name)
    who = signers.get(manifest.get("signer"), _NOBODY)
    if who is _NOBODY:
        raise PackageInvalid(_("the file is not signed by a station in service here (station %s in its manifest)")
                             % manifest.get("station", "?"))
    package_key = container.key_for(package, keystore)
    verifying = Key(package_key.id, package_key.created, package_key.secret, bytes.fromhex(manifest["signer"]))
    try:
        container.check_signature(package, verifying)
    except PackageInvalid:
        raise PackageInvalid(_("the signature does not match: the file was changed after the station signed it, or "
                               "it is damaged")) from None
    with private_dir(work) as private:
        plain = private / "events.jsonl"
        try:
            container.decrypt(package, verifying, plain)
        except PackageInvalid:
            raise PackageInvalid(_("the file is damaged or was changed")) from None
        try:
            events = [json.loads(line) for line in plain.read_text(encoding="utf-8").splitlines()]
        except ValueError:
            raise PackageInvalid(_("the events inside are damaged (not one JSON object a line)")) from None
    last = events[-1] if events else {"seq": 0, "hash": journal.GENESIS}
    if (len(events), last.get("seq"), last.get("hash")) != (manifest.get("events"), manifest.get("last_seq"),
                                                            manifest.get("head_hash")):
        raise PackageInvalid(_("the events inside are not those the manifest names (count, last sequence number, "
                               "head hash)"))
    return who, Contents(manifest, events)


_NOBODY = object()


def _sync_dir(directory: Path):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_cache(path: Path):
    """Forget the file's pages (synced already), so reading back reads the stick, not memory."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
