"""Private directories for plaintext: a package's database is decrypted only into a directory
only this user can enter (mode 0700), under a root the caller names (the server: the snapshot
directory's `.work`; a station: beside its base data), and removed when done. Directories
left by a killed process are removed by `sweep_private_dirs`.
"""
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from lifeline.core import processes


@contextmanager
def private_dir(root: Path):
    """A new directory only this user can enter, under `root` (created 0700); removed when done."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_private_dirs(root: Path) -> list[Path]:
    """Remove the private directories under `root` whose process is gone (killed before its
    `finally` ran)."""
    removed = []
    if not Path(root).is_dir():
        return removed
    for path in Path(root).iterdir():
        pid = path.name.split("-", 1)[0]
        if pid.isdigit() and (int(pid) == os.getpid() or processes.alive(int(pid))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
