"""Which packages the server hands out: the newest chain, and any package of a chain still kept.

A package's file is found through latest.json only (publishing.chains), never by making a path
of the id a client sent. A package no chain names any more was pruned (the server keeps the
last LIFELINE_SNAPSHOT_KEEP chains): asking for it is Gone, and the station starts again from
the newest chain.
"""
from django.utils.translation import gettext as _

from lifeline.snapshots import publishing
from lifeline.snapshots.models import SnapshotBuild
from lifeline.snapshots.publishing import Published


class Unknown(Exception):
    pass


class Gone(Exception):
    pass


def latest_chain() -> list[Published]:
    return publishing.latest_chain()


def newest_id() -> str | None:
    """The package a current station has applied last."""
    chain = publishing.latest_chain()
    return chain[-1].package_id if chain else None


def open_published(package_id: str):
    """(the kept package with this id, its file opened for reading); Gone when it was pruned,
    Unknown when it was never published. Once open, the file stays readable to the end even if
    a new build prunes the package meanwhile (the name goes, the open file stays)."""
    for chain in publishing.chains():
        for package in chain:
            if package.package_id == package_id:
                try:
                    return package, open(package.path, "rb")
                except FileNotFoundError:
                    break  # pruned since latest.json was read
    if SnapshotBuild.objects.filter(package_id=package_id, status=SnapshotBuild.Status.PUBLISHED).exists():
        raise Gone(_("package %(id)s was pruned: the server keeps only the last chains. Fetch the newest chain "
                     "again (packages/latest).") % {"id": package_id})
    raise Unknown(_("no package %(id)s was published here") % {"id": package_id})
