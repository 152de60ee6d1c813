"""Anchors: checkpoints of the audit chain's head, kept outside the database.

An anchor says "on <at>, the chain ended at entry <seq> whose hash was <hash>". Each one is a
line of JSON appended to `<data dir>/audit-anchors.log` (or `LIFELINE_AUDIT_ANCHOR_FILE`),
signed with the audit key (the `mac` field), and, when `LIFELINE_AUDIT_SYSLOG` names a syslog
(a socket path such as /dev/log, or host:port over UDP), sent there too, so a copy lives where
the owner of this server cannot rewrite it. `lifeline audit verify` reads the file: a changed
line fails its signature, an entry that no longer has the anchored hash was rewritten, a chain
shorter than an anchor lost its newest entries.

The file is only ever appended to (O_APPEND, under an exclusive lock, fsync'd). Make it
append-only for the operating system too where the hospital can (`chattr +a`).
"""
import fcntl
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

VERSION = 1
SYSLOG_TAG = "lifeline-audit-anchor"
log = logging.getLogger("lifeline.audit")


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: datetime
    line: int = 0  # where in the file


def anchor_file() -> Path:
    return Path(getattr(settings, "AUDIT_ANCHOR_FILE", None) or Path(settings.DATA_DIR) / "audit-anchors.log")


def _mac(key: bytes, fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def line_for(key: bytes, seq: int, hash: str, at: datetime) -> str:
    fields = {"v": VERSION, "seq": seq, "hash": hash, "at": at.isoformat()}
    return json.dumps({**fields, "mac": _mac(key, fields)}, sort_keys=True, separators=(",", ":"))


def read(key: bytes, path: Path | None = None) -> tuple[list[Anchor], list[str]]:
    """The anchors in the file, oldest first, and what is wrong with lines that are not anchors."""
    path = path or anchor_file()
    anchors, problems = [], []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            found = json.loads(line)
            fields = {name: found[name] for name in ("v", "seq", "hash", "at")}
            signed = hmac.compare_digest(str(found["mac"]), _mac(key, fields))
            anchor = Anchor(int(fields["seq"]), str(fields["hash"]), datetime.fromisoformat(fields["at"]), number)
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"{path.name} line {number}: not an anchor")
            continue
        if not signed:
            problems.append(f"{path.name} line {number}: signature does not match (line changed, or another key)")
            continue
        anchors.append(anchor)
    return anchors, problems


class locked:
    """Hold the anchor file's exclusive lock (several workers on one host write one at a time)."""

    def __enter__(self):
        path = anchor_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        return self

    def append(self, key: bytes, seq: int, hash: str, at: datetime) -> Anchor:
        line = line_for(key, seq, hash, at)
        os.write(self.descriptor, (line + "\n").encode())
        os.fsync(self.descriptor)
        _to_syslog(line)
        return Anchor(seq, hash, at)

    def __exit__(self, *exc):
        fcntl.flock(self.descriptor, fcntl.LOCK_UN)
        os.close(self.descriptor)


def _to_syslog(line: str):
    where = getattr(settings, "AUDIT_SYSLOG", "") or ""
    if not where:
        return
    if where.startswith("/"):
        address = where
    else:
        host, _sep, port = where.rpartition(":")
        address = (host or where, int(port) if port.isdigit() else 514)
    try:
        handler = logging.handlers.SysLogHandler(address=address)
        try:
            record = logging.LogRecord("lifeline.audit", logging.INFO, __file__, 0, f"{SYSLOG_TAG}: {line}", None, None)
            handler.emit(record)
        finally:
            handler.close()
    except OSError:
        # The file holds the anchor; an unreachable syslog must not stop the checkpoint.
        log.exception("audit anchor not sent to syslog %s", where)
