"""Importing a station's journal file from a USB stick (`lifeline journal import FILE`, or the
import page): the file's signature and decryption are checked (workstation/usb.py, the package
format), the station is the one whose token signed it, then its events go through
receiving.receive(..., via="usb"): the chain checked, each event stored once. Importing the
same file twice, or a file and the same events by network in either order, changes nothing
the second time."""
from datetime import datetime
from pathlib import Path

from django.utils.translation import gettext as _

from lifeline.core.errors import Refused
from lifeline.package.keys import KeyStoreError
from lifeline.package.tables import PackageInvalid
from lifeline.recovery import receiving
from lifeline.recovery.models import ReceivedEvent
from lifeline.snapshots import storage
from lifeline.stations.models import Station
from lifeline.workstation import usb


def import_file(path: Path, field: str = "file") -> tuple[Station, receiving.Receipt]:
    """(the station, what was received); Refused naming `field` when the file does not verify,
    or naming the sequence number when its events do not continue the station's chain."""
    in_service = Station.objects.filter(revoked_at__isnull=True)
    signers = {usb.signer_of(station.token_hash): station for station in in_service}
    try:
        station, contents = usb.read(path, storage.keystore(), signers, storage.work_root())
    except (PackageInvalid, KeyStoreError) as bad:
        raise Refused(field, _("the journal file does not verify, nothing was imported: %s") % bad) from None
    # The file is the whole journal as it stood when it was exported: that is what the station held then.
    exported_at = datetime.fromisoformat(contents.manifest["exported_at"])
    return station, receiving.receive(station, contents.events, ReceivedEvent.Via.USB, held=len(contents.events),
                                      held_at=exported_at)
