"""The audit key: the secret that signs every audit entry (HMAC-SHA256) and every anchor.

It is kept outside the database, so whoever can write to the database cannot sign a row:
`LIFELINE_AUDIT_KEY` when set (the same value on every host that runs Lifeline against one
database), otherwise the file `<data dir>/audit_key` (or `LIFELINE_AUDIT_KEY_FILE`), created
once, readable by its owner only (0600). Lose the key and the entries it signed can no
longer be checked; keep a copy where the hospital keeps its other keys.
"""
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# A configured key shorter than this is refused (a guessable key signs nothing).
MIN_KEY_CHARS = 32

_loaded: dict[str, bytes] = {}


class KeyMissing(Exception):
    """No audit key is configured and none was created on this host yet."""


def key_file() -> Path:
    return Path(getattr(settings, "AUDIT_KEY_FILE", None) or Path(settings.DATA_DIR) / "audit_key")


def chain_key(create: bool = True) -> bytes:
    """The audit key; the key file is created on first use unless `create` is False."""
    configured = getattr(settings, "AUDIT_KEY", "") or ""
    if configured:
        if len(configured) < MIN_KEY_CHARS:
            raise ImproperlyConfigured(f"LIFELINE_AUDIT_KEY must be at least {MIN_KEY_CHARS} characters")
        return configured.encode()
    path = key_file()
    cached = _loaded.get(str(path))
    if cached:
        return cached
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            raise KeyMissing(f"no audit key: LIFELINE_AUDIT_KEY is not set and {path} does not exist") from None
        key = _create(path)
    if len(key) < MIN_KEY_CHARS:
        raise ImproperlyConfigured(f"{path} holds no usable audit key (at least {MIN_KEY_CHARS} characters)")
    _loaded[str(path)] = key
    return key


def _create(path: Path) -> bytes:
    """Write a new random key, atomically: several processes starting at once agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(draft, path)  # fails if another process created the key first: use theirs
        except FileExistsError:
            pass
    finally:
        draft.unlink(missing_ok=True)
    return path.read_bytes().strip()
