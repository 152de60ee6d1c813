"""The workstation's side of distribution: `lifeline station pull` (workstation/cli.py).

    base = pull.pull(Server(url, token), directory, keystore, say=print)

downloads the newest chain (a download cut off continues from its `.part` file with a Range
request), checks each file's SHA-256 against the listing, applies the chain into
DIR/base.sqlite3 (applying verifies every package: signature, decryption, row counts and
checksums, as `container.verify` does) and reports what the station holds. A chain that does
not verify never replaces the base data the station has.

When the newest chain is the one held grown by incrementals (the same packages first, by id and
file SHA-256 as holding.json records them), only the new incrementals are applied, onto an
encrypted copy of base.sqlite3 (`basedata.extend`), with the same checks: each verified and
following its parent, then every table's totals those of the newest manifest. Anything else (a
new full package, another chain, holding.json missing or without checksums, base data that does
not open, totals that differ from the manifest's) applies the whole chain.

    DIR/packages/<id>.llsnap        downloaded packages, checked
    DIR/packages/<id>.llsnap.part   a download under way; the next attempt continues it
    DIR/base.sqlite3                the chain applied: the station's base data, encrypted (SQLCipher,
                                    keyed from the station's key file; store.py)
    DIR/holding.json                which package base.sqlite3 holds (`applied`), the chain's package
                                    ids and files' SHA-256 (`packages`, `sha256`), its build time,
                                    price version
    DIR/operators.json              the emergency credentials, signed by the server (operators.py)
    DIR/station.sqlite3             the journal: the number leases the server granted are received
                                    there (`numbering.receive`), so the desk issues numbers from them

After applying, the station checks in and hears the mode the server declared for it (ready,
downtime, drill), put in force through `modes.declare(..., how=SERVER)`; then it asks for its
number leases (`stations/leases`), saying how many numbers of each kind it has left: the
server grants a new range of each kind running low, and the station receives the ranges it
does not hold yet.

Patient data never rests in clear: the chain is applied into a temporary file, sealed into
base.sqlite3 and the plaintext removed before the new base data takes the old one's place (DIR
is 0700 for the moment between); an extension works on an encrypted copy, only each
incremental's own database decrypted, in a private directory. What a pull killed on the way
left is removed by the next (`_sweep`). Django-free: only the package format, the wording of the HIS
side and the workstation's own store.
"""
import http.client
import json
import os
import re
import secrets
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urljoin

from lifeline.core import processes
from lifeline.his.wording import gettext as _
from lifeline.package import applying, container, tables
from lifeline.package.container import SUFFIX
from lifeline.package.keys import KeyStore, KeyStoreError
from lifeline.workstation import basedata, modes, numbering, operators, store
from lifeline.workstation.journal import DRILL, EMERGENCY, READY, InForce, price_version
from lifeline.workstation.leases import Lease
from lifeline.workstation.station import Station

API = "api/v1/continuity/"
SERVER = "server"  # the operator named in events the server sent (leases, a declared mode)
SERVER_MODES = {"ready": READY, "downtime": EMERGENCY, "drill": DRILL}  # the server's words -> the journal's
CHUNK = 256 * 1024
ATTEMPTS = 3


class PullFailed(Exception):
    """The server refused (`status`: its HTTP status), or the station cannot go on; says why."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Interrupted(Exception):
    """Worth another attempt at once: the connection broke, or the chain changed meanwhile."""


class RangeRefused(Interrupted):
    """416: the partial file is not a start of the package."""


def client_version() -> str:
    return f"lifeline {version('lifeline')}"


@dataclass
class Server:
    url: str
    token: str
    timeout: float = 30

    def open(self, path_or_url: str, headers: dict | None = None, body: dict | None = None):
        """The response (a file to read); PullFailed for a refusal, Interrupted for a broken network."""
        url = urljoin(self.url.rstrip("/") + "/", path_or_url)
        request = urllib.request.Request(url, headers={
            "Authorization": f"Bearer {self.token}", "User-Agent": client_version(), **(headers or {})})
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as refused:
            raise self._refusal(refused, url) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as broken:
            raise Interrupted(_("%(url)s: %(reason)s") % {"url": url, "reason": getattr(broken, "reason", broken)}) \
                from None

    def _refusal(self, refused: urllib.error.HTTPError, url: str) -> Exception:
        try:
            answer = json.loads(refused.read())
            detail = answer.get("detail", "") or "; ".join(  # the server's one error shape
                f"{e['field']}: {e['message']}" if e.get("field") else e["message"] for e in answer.get("errors", []))
        except (ValueError, AttributeError, OSError, KeyError, TypeError):
            detail = ""
        if refused.code == 401:
            return PullFailed(_("the server refused the station token (wrong or revoked): HTTP 401 from %s") % url,
                              401)
        if refused.code == 410:  # pruned since the listing: the next attempt lists the chain again
            return Interrupted(f"HTTP 410: {detail}")
        if refused.code == 416:
            return RangeRefused(f"HTTP 416: {detail}")
        return PullFailed(_("HTTP %(code)s from %(url)s: %(detail)s") % {"code": refused.code, "url": url,
                                                                          "detail": detail or refused.reason},
                          refused.code)

    def json(self, path: str, body: dict | None = None) -> dict:
        with self.open(path, body=body) as response:
            try:
                return json.loads(response.read())
            except (OSError, http.client.HTTPException) as broken:  # the answer was cut off
                raise Interrupted(_("%(url)s: %(reason)s") % {"url": path, "reason": broken}) from None


def pull(server: Server, directory: Path, keystore: KeyStore, say=lambda text: None,
         attempts: int = ATTEMPTS, station_code: str = "") -> Path:
    """Make DIR/base.sqlite3 the newest chain, then renew the number leases; returns its path.
    PullFailed saying why. `station_code` names the station in its events (default: DIR's name)."""
    directory = _private(Path(directory))
    (directory / "packages").mkdir(exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            chain = server.json(API + "packages/latest")["packages"]
            if not chain:
                raise PullFailed(_("the server has no snapshot package published yet"))
            paths = [_fetch(server, package, directory / "packages", say) for package in chain]
            break
        except Interrupted as broken:
            if attempt == attempts:
                raise PullFailed(_("download interrupted: %s; what arrived is kept, run again to continue")
                                 % broken) from None
            say(_("interrupted (%s); trying again") % broken)
    base = _apply(paths, chain, directory, keystore, say)
    _tidy(directory / "packages", {p.name for p in paths})
    try:
        heard = server.json(API + "stations/holding", body={
            "package_ids": [p["id"] for p in chain], "applied": chain[-1]["id"], "client_version": client_version()})
    except (PullFailed, Interrupted) as failed:
        heard = None
        say(_("warning: could not report what this station holds (%s); the next pull reports it") % failed)
    station = open_station(directory, keystore, station_code or directory.name)
    try:
        if heard is not None:
            follow_declared_mode(station, heard, say)
        renew_leases(server, station, say)
    finally:
        station.close()
    receive_operators(server, directory, keystore, say)
    return base


def open_station(directory: Path, keystore: KeyStore, code: str) -> Station:
    """The station's journal with the base data held, as the desk opens it."""
    held = json.loads((directory / "holding.json").read_text(encoding="utf-8"))
    in_force = InForce(code, held["applied"], held.get("price_version", ""), READY)
    station = Station.open(directory, store.data_key(keystore.file), in_force, lambda: datetime.now(UTC))
    modes.follow(station)
    return station


def follow_declared_mode(station: Station, heard: dict, say):
    """Put in force a declaration of the server's this station has not heard yet, once: a mode a
    supervisor declared on the station with their PIN since stands until the server declares
    again. The declaration is known by its time, recorded as the event's reason."""
    mode, declared_at = SERVER_MODES.get(heard.get("mode", "")), heard.get("mode_declared_at")
    if mode is None or not declared_at:
        return
    reason = f"declared on the server at {declared_at}"
    last = station.one("SELECT json_extract(payload, '$.reason') FROM journal WHERE kind = 'mode_changed' "
                       "AND json_extract(payload, '$.how') = ? ORDER BY seq DESC LIMIT 1", (modes.SERVER,))
    if last and last[0] == reason:
        return
    modes.declare(station, mode, heard.get("mode_declared_by") or SERVER, modes.SERVER, reason)
    say(_("mode declared by the server: %s") % mode)


def renew_leases(server: Server, station: Station, say):
    """Tell the server how many numbers of each kind are left; receive the ranges it granted."""
    held = {row[0] for row in station.db.execute("SELECT lease_id FROM leases")}
    remaining = {supply.kind: supply.remaining for supply in station.supplies()}
    try:
        granted = server.json(API + "stations/leases", body={"held": sorted(held), "remaining": remaining})
    except (PullFailed, Interrupted) as failed:
        say(_("warning: could not renew the number leases (%s); the next pull asks again") % failed)
        return
    for item in granted:
        if item["lease_id"] not in held:
            with station.journal.transaction() as tx:
                numbering.receive(tx, Lease(item["lease_id"], item["kind"], item["first"], item["last"]), SERVER)
            say(_("number lease %(lease_id)s received: %(kind)s %(first)s-%(last)s") % item)


def receive_operators(server: Server, directory: Path, keystore: KeyStore, say):
    """Replace DIR/operators.json with the server's signed list, only once it verifies with a
    key the station holds: a list that does not leaves the one held in force."""
    try:
        signed = server.json(API + "stations/operators")
    except (PullFailed, Interrupted) as failed:
        say(_("warning: could not fetch the emergency credentials (%s); the ones held stay") % failed)
        return
    path, temp = directory / operators.FILE, directory / f".{operators.FILE}.new"
    temp.write_text(json.dumps(signed, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        found = operators.load(temp, keystore)
    except operators.CredentialsInvalid as bad:
        temp.unlink()
        say(_("warning: the emergency credentials do not verify, the ones held stay: %s") % bad)
        return
    os.replace(temp, path)
    say(_("emergency credentials received: %d") % len(found))


def _private(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    return directory


def _fetch(server: Server, package: dict, into: Path, say) -> Path:
    """The package's file, downloaded or continued, with the SHA-256 the listing states."""
    final = into / f"{package['id']}{SUFFIX}"
    if final.exists() and container.file_sha256(final) == package["sha256"]:
        return final
    part = final.with_name(final.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    if have > package["size"]:
        part.unlink()
        have = 0
    if have < package["size"]:
        _download(server, package, part, have, say)
    if container.file_sha256(part) != package["sha256"]:
        part.unlink()
        raise Interrupted(_("%s arrived damaged (its SHA-256 differs from the listing); downloading it again")
                          % package["id"])
    os.replace(part, final)
    return final


def _download(server: Server, package: dict, part: Path, have: int, say):
    headers = {"Range": f"bytes={have}-", "If-Range": f'"{package["sha256"]}"'} if have else {}
    if have:
        say(_("%(id)s: continuing at byte %(at)s of %(size)s") % {
            "id": package["id"], "at": f"{have:,}", "size": f"{package['size']:,}"})
    else:
        say(_("%(id)s: downloading %(kind)s package, %(size)s bytes") % {
            "id": package["id"], "kind": _(package["kind"]), "size": f"{package['size']:,}"})
    try:
        response = server.open(package["url"], headers=headers)
    except RangeRefused:
        part.unlink()  # not the start of this package: begin again
        raise
    with response:
        resumed = response.status == 206
        if resumed and not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            raise Interrupted(_("%s: the server answered another range than asked") % package["id"])
        expected, written = int(response.headers["Content-Length"]), 0
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except (OSError, http.client.HTTPException) as broken:
            reason = broken
        else:
            reason = None if written == expected else _("the answer ended early")
        if reason is not None:  # what arrived stays in the .part file for the next attempt
            raise Interrupted(_("%(id)s: the connection broke after %(at)s bytes (%(reason)s)") % {
                "id": package["id"], "at": f"{part.stat().st_size:,}", "reason": reason})


def _apply(paths: list[Path], chain: list[dict], directory: Path, keystore: KeyStore, say) -> Path:
    """Put the newest chain's base data in place of base.sqlite3 in one step: the incrementals
    the held chain lacks applied onto a copy of it when the chain only grew (`_extension`), else
    the whole chain applied into a new file."""
    base, holding, newest = directory / "base.sqlite3", directory / "holding.json", chain[-1]["id"]
    held = _held(holding)
    if base.exists() and held and held.get("applied") == newest:
        say(_("base data already current: %s") % newest)
        return base
    if keystore.file is None:
        raise PullFailed(_("the station's key file is needed to encrypt its base data"))
    _sweep(directory)
    key = store.data_key(keystore.file)
    temp = directory / f".base-{os.getpid()}-{secrets.token_hex(4)}.sqlite3"
    sealed = temp.with_suffix(".sealed")
    try:
        grown = _extension(held, chain, paths) if base.exists() else 0
        if grown:
            try:
                basedata.extend(base, sealed, paths[-grown - 1], paths[-grown:], keystore, key, directory)
            except (store.WrongKey, store.Error, applying.TotalsDiffer, OSError) as held_off:
                _remove(sealed)
                say(_("the base data held cannot be extended (%s); applying the whole chain") % held_off)
                grown = 0
        if not grown:
            applying.apply(paths, temp, keystore)
            basedata.seal(temp, sealed, key)
    except (tables.PackageInvalid, KeyStoreError) as bad:
        _remove(sealed)
        raise PullFailed(_("the chain does not verify, the base data stays as it was: %s") % bad) from None
    except BaseException:
        _remove(sealed)
        raise
    finally:
        temp.unlink(missing_ok=True)
    os.chmod(sealed, 0o600)
    os.replace(sealed, base)
    manifest = container.open_package(paths[-1]).manifest
    _write(holding, {"applied": newest, "packages": [p.stem for p in paths], "sha256": [p["sha256"] for p in chain],
                     "built_at": chain[-1]["built_at"], "price_version": price_version(manifest),
                     "merged": manifest.get("merged")})  # what local stock is rebased on (stock.py)
    if grown:
        say(_("applied %(count)d new incremental packages up to %(id)s") % {"count": grown, "id": newest})
    else:
        say(_("applied %(count)d packages up to %(id)s") % {"count": len(paths), "id": newest})
    return base


def _held(holding: Path) -> dict | None:
    """holding.json, or None if it is missing or unreadable."""
    try:
        held = json.loads(holding.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return held if isinstance(held, dict) else None


def _extension(held: dict | None, chain: list[dict], paths: list[Path]) -> int:
    """How many incrementals the server's chain has past the chain held, when it is that chain
    grown: the same packages first (ids and files' SHA-256 as holding.json records them), then
    only incrementals; 0 when not (a new full package, another chain, nothing recorded)."""
    if not held:
        return 0
    ids, hashes = held.get("packages"), held.get("sha256")
    if not isinstance(ids, list) or not ids or hashes is None or len(hashes) != len(ids) \
            or held.get("applied") != ids[-1] or len(ids) >= len(chain):
        return 0
    if [p["id"] for p in chain[:len(ids)]] != ids or [p["sha256"] for p in chain[:len(ids)]] != hashes:
        return 0
    if any(p.get("kind") != "incremental" for p in chain[len(ids):]):
        return 0
    return len(chain) - len(ids)


def _remove(path: Path):
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)


def _sweep(directory: Path):
    """Remove what a pull killed on the way left: new base data not put in place (encrypted, or a
    chain's plaintext) and the private directories incrementals were decrypted in, each named
    after its process, once that process is gone."""
    for path in directory.iterdir():
        found = re.match(r"\.base-(\d+)-" if path.name.startswith(".") else r"(\d+)-", path.name)
        if not found or int(found[1]) == os.getpid() or processes.alive(int(found[1])):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)



def _write(path: Path, data: dict):
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temp, path)


def _tidy(into: Path, keep: set[str]):
    """Packages of older chains, and downloads they left, are not needed any more."""
    for path in into.iterdir():
        if path.name not in keep:
            path.unlink(missing_ok=True)
