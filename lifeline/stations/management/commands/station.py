"""`lifeline station create|list|revoke|keys`: the server's side of the emergency workstations.
`lifeline station pull` runs on a workstation: lifeline/cli.py hands it to lifeline.workstation.cli."""
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.package.keys import KeyStore, KeyStoreError
from lifeline.snapshots import storage
from lifeline.stations import registry
from lifeline.stations.models import Station


class Command(BaseCommand):
    help = ("Emergency workstations: on the server `create` (prints the station's token on its last line), "
            "`list`, `revoke` and `keys` (the key file a station needs); on a workstation `lifeline station pull` "
            "(lifeline.workstation, no server settings needed) downloads and applies the newest snapshot chain.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new station; its token is printed on the last line, only now")
        create.add_argument("--name", required=True)
        create.add_argument("--department", required=True)
        create.add_argument("--location", default="")
        sub.add_parser("list", help="every station, what it holds and how old its data is")
        revoke = sub.add_parser("revoke", help="the station's token stops working")
        revoke.add_argument("name")
        keys = sub.add_parser("keys", help="write the station's copy of the key store (decrypts and verifies, "
                                           "cannot sign); prints its path last")
        keys.add_argument("--out", required=True, type=Path)

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_create(self, name, department, location, **options):
        try:
            station, token = registry.create(name=name, department=department, location=location)
        except ValidationError as bad:
            raise CommandError("; ".join(f"--{field}: {' '.join(messages)}"
                                         for field, messages in bad.message_dict.items())) from None
        self.stdout.write(_("Station %(name)s (%(department)s) created; its token is shown only now:")
                          % {"name": station.name, "department": station.department})
        self.stdout.write(token)

    def do_list(self, **options):
        now = clock.now()
        found = registry.states(now)
        if not found:
            self.stdout.write(_("No station yet: `lifeline station create --name NAME --department D` adds one."))
        for state in found:
            s = state.station
            if s.revoked_at:
                mark = _("revoked")
            elif state.stale:
                mark = _("STALE")
            else:
                mark = _("current") if state.current else _("fresh")
            age = _("%d min") % (state.age.total_seconds() // 60) if state.age is not None else "-"
            seen = timezone.localtime(s.last_seen_at).strftime("%Y-%m-%d %H:%M") if s.last_seen_at else "-"
            self.stdout.write("\t".join([s.name, s.department, s.location or "-", s.package_id or "-", age, seen,
                                         mark]))

    def do_revoke(self, name, **options):
        station = Station.objects.filter(name=name, revoked_at__isnull=True).first()
        if station is None:
            raise CommandError(_("no station in service named %r") % name)
        registry.revoke(station, clock.now())
        self.stdout.write(_("Station %s revoked: its token no longer works.") % name)

    def do_keys(self, out, **options):
        try:
            keys = storage.keystore().keys()
            if not keys:
                raise KeyStoreError(_("no key in the key store yet: `lifeline snapshot key create` makes one"))
            copy = KeyStore(file=out)
            for key in keys:
                copy.add(key.public_only())
        except KeyStoreError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("%(count)d keys written for stations (they decrypt and verify, they cannot sign); copy "
                            "the file to each station, readable by its user only:") % {"count": len(keys)})
        self.stdout.write(str(out))
