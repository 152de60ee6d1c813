"""Backups fixtures: a system with a daily job whose copies land in a temporary directory, files
stamped by the injected clock (a copy written "26 hours ago" has that modification time)."""
import os
from datetime import timedelta

import pytest

from lifeline.backups.models import BackupJob, Destination, System


def write_copy(folder, name, size, at, checksum=None):
    """A backup file of `size` bytes, modified at `at` (aware), with a sha256 file if asked."""
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, (at.timestamp(), at.timestamp()))
    if checksum is not None:
        (folder / f"{name}.sha256").write_text(f"{checksum}  {name}\n")
    return path


@pytest.fixture
def his_job(db, tmp_path):
    system = System.objects.create(name="HIS", rpo_minutes=24 * 60 + 60, rto_minutes=240)
    job = BackupJob.objects.create(system=system, name="全量备份", kind=BackupJob.Kind.FULL, every_hours=24,
                                   grace_minutes=60, schedule_text="每天凌晨1点", tool="pg_dump")
    Destination.objects.create(job=job, kind=Destination.Kind.LOCAL, location=str(tmp_path), scan=True,
                               pattern="*.dump")
    return job


def hours_ago(clock, hours):
    return clock.now() - timedelta(hours=hours)
