"""`lifeline journal import FILE`: a station's journal brought on a USB stick
(`lifeline station export --to DIR` on the station)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lifeline.core.actor import acting_as
from lifeline.core.errors import Refused
from lifeline.recovery import importing


class Command(BaseCommand):
    help = ("Import a station's journal file (USB): verify its signature and chain and store each event once; "
            "importing it again, or after the same events came by network, changes nothing.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing_ = sub.add_parser("import", help="verify and receive one journal file")
        importing_.add_argument("file", type=Path)

    def handle(self, *args, action, file, **options):
        if not file.is_file():
            raise CommandError(_("FILE: %s does not exist") % file)
        try:
            with acting_as("cli"):
                station, receipt = importing.import_file(file, field="FILE")
        except Refused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(_("Station %(name)s: %(received)d events received, %(duplicates)d held already; the "
                            "server holds up to sequence number %(seq)d.") % {
            "name": station.name, "received": receipt.received, "duplicates": receipt.duplicates,
            "seq": receipt.head_seq})
