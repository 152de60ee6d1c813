"""Where the server keeps its snapshot keys and the plaintext of running builds, from its
settings. The package format (lifeline.package) reads no settings: the server passes these in.

    <data dir>/keys/ (or LIFELINE_SNAPSHOT_KEY_FILE)   the key store
    <snapshot dir>/.work/                              private plaintext directories
"""
from pathlib import Path

from django.conf import settings

from lifeline.package.keys import KeyStore


def keystore() -> KeyStore:
    if settings.SNAPSHOT_KEY_FILE:
        return KeyStore(file=settings.SNAPSHOT_KEY_FILE)
    return KeyStore(directory=Path(settings.DATA_DIR) / "keys")


def work_root() -> Path:
    """The root of the private plaintext directories (lifeline.package.private)."""
    return Path(settings.SNAPSHOT_DIR) / ".work"
