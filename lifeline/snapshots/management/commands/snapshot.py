"""`lifeline snapshot build|check-drift|verify|list|key`: snapshot packages of the HIS base data."""
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from lifeline.package import container, tables
from lifeline.package.keys import KeyStoreError
from lifeline.snapshots import builder, publishing, storage
from lifeline.snapshots.models import BuildProblem, SnapshotBuild
from lifeline.snapshots.publishing import BuildBusy


class Command(BaseCommand):
    help = "Build, verify and list snapshot packages of the HIS base data; manage their keys."
    requires_system_checks = []  # a scheduled build should not wait for the whole project's checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="read the HIS and publish a package; prints its path last")
        build.add_argument("--mapping", required=True, type=Path, help="the HIS mapping file")
        build.add_argument("--incremental", action="store_true",
                           help="only what changed since the newest package (a full one if there is none)")
        drift = sub.add_parser("check-drift", help="read the whole HIS and compare it with the published chain "
                                                   "(changes its watermarks missed); publishes nothing")
        drift.add_argument("--mapping", required=True, type=Path, help="the HIS mapping file")
        verify = sub.add_parser("verify", help="check a package's signature, decryption, counts and checksums")
        verify.add_argument("package", type=Path)
        sub.add_parser("list", help="the published chains and the recent builds")
        key = sub.add_parser("key", help="the key store")
        key.add_argument("key_action", choices=["create", "list"])

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action.replace('-', '_')}")(**options)

    def do_build(self, mapping, incremental, **options):
        progress = self._progress()
        try:
            record = builder.build(mapping, incremental=incremental, progress=progress)
        except BuildBusy as exc:
            raise CommandError(str(exc)) from None
        except builder.BuildFailed as exc:
            if exc.record is not None:
                self._report(exc.record)
            raise CommandError(str(exc)) from None
        self._report(record)
        self.stdout.write(_("%(kind)s package published: %(size)s bytes, %(seconds).1f s") % {
            "kind": record.get_kind_display(), "size": f"{record.size_bytes:,}", "seconds": record.duration_seconds})
        self.stdout.write(record.path)

    def _progress(self):
        return TerminalProgress(self.stdout) if sys.stdout.isatty() else LineProgress(self.stdout)

    def _report(self, record: SnapshotBuild):
        """What the HIS team needs to know of a build: notes, values it could not take (per entity and
        field, with the build's page for the full list), rows stamped ahead of the HIS's clock, drift."""
        for line in filter(None, record.note.splitlines()):
            self.stdout.write(_("Note: %s") % line)
        if record.problem_summary:
            self.stdout.write(_("Values the build could not take, per entity and field (the mapping's "
                                "on_invalid_row and fields.<name>.on_invalid):"))
            for item in record.problem_summary:
                self.stdout.write(f"  {item['entity'] + '.' + item['field']:<28} "
                                  f"{BuildProblem.Outcome(item['outcome']).label} {item['count']:>9,}   "
                                  + _("e.g. %(key)s: %(reason)s") % item)
            self.stdout.write(_("The full list (CSV and Excel too): %(url)s") % {
                "url": settings.LIFELINE_BASE_URL + reverse("snapshots:build", args=[record.pk])})
        for name, ahead in (record.watermark_ahead or {}).items():
            if ahead["rows"]:
                self.stdout.write(_("%(entity)s: %(rows)s rows stamped ahead of the HIS's clock (newest %(newest)s, "
                                    "clock %(clock)s), e.g. %(keys)s; the watermark is kept at the clock") % {
                    "entity": name, "rows": f"{ahead['rows']:,}", "newest": ahead["newest"], "clock": ahead["clock"],
                    "keys": ", ".join(ahead["keys"][:5])})
        self._drift(record.drift)

    def _drift(self, drift: dict | None) -> bool:
        drifted = {name: d for name, d in (drift or {}).items() if d["keys"]}
        for name, found in drifted.items():
            self.stdout.write(_("Drift: %(entity)s: %(keys)s keys differ from a fresh read of the HIS in ways the "
                                "watermark did not show, e.g. %(examples)s") % {
                "entity": name, "keys": f"{found['keys']:,}", "examples": ", ".join(found["examples"][:5])})
        return bool(drifted)

    def do_check_drift(self, mapping, **options):
        try:
            found = builder.check_drift(mapping, progress=self._progress())
        except (builder.BuildFailed, BuildBusy) as exc:
            raise CommandError(str(exc)) from None
        if found.note:
            for line in found.note.splitlines():
                self.stdout.write(_("Note: %s") % line)
        if found.drift is None:
            raise CommandError(_("Nothing was compared: %s") % (found.note or _("no chain to compare with")))
        if self._drift(found.drift):
            raise CommandError(_("The chain %(chain)s has drifted from the HIS: %(entities)s (an alarm is raised); the "
                                 "next full package corrects the stations") % {
                "chain": found.chain, "entities": ", ".join(found.drifted)})
        self.stdout.write(self.style.SUCCESS(_("No drift: the chain %(chain)s agrees with the HIS (%(count)s entities "
                                               "compared, %(seconds).1f s)") % {
            "chain": found.chain, "count": len(found.drift), "seconds": found.seconds}))

    def do_verify(self, package, **options):
        try:
            checked = container.verify(package, storage.keystore(), storage.work_root())
        except (tables.PackageInvalid, KeyStoreError) as exc:
            raise CommandError(_("%(package)s is NOT good: %(reason)s") % {"package": package, "reason": exc}) from None
        self._manifest(checked.manifest)
        self.stdout.write(self.style.SUCCESS(_("%s is good: signature, decryption, row counts and checksums check out")
                                             % package))

    def _manifest(self, manifest: dict):
        parent = manifest.get("parent")
        for label, value in ((_("Package"), manifest["package_id"]), (_("Kind"), _(manifest["kind"])),
                             (_("Parent package"), parent["package_id"] if parent else "-"),
                             (_("Chain (full package)"), manifest["chain"]), (_("Built at"), manifest["built_at"]),
                             (_("Builder"), manifest["builder"]), (_("HIS"), manifest["his"]),
                             (_("Mapping hash"), manifest["mapping_sha256"]), (_("Key id"), manifest["key_id"])):
            self.stdout.write(f"{label}: {value}")
        titles = [_("Entity"), _("Mode"), _("Rows"), _("Deleted"), _("Rows after applying"), _("Checksum"),
                  _("Watermark")]
        self.stdout.write("{:<16} {:<8} {:>10} {:>8} {:>12}  {}  {}".format(*titles))
        for name, entry in manifest["entities"].items():
            mark = entry["watermark"]["value"] if entry["watermark"] else "-"
            self.stdout.write(f"{name:<16} {entry['mode']:<8} {entry['rows']:>10,} {entry['deleted']:>8,} "
                              f"{entry['total_rows']:>12,}  {entry['total_digest']}  {mark}")

    def do_list(self, **options):
        chains = publishing.chains()
        if not chains:
            self.stdout.write(_("No package published yet."))
        for number, chain in enumerate(chains, 1):
            latest = " " + _("(the latest: what stations get)") if number == 1 else ""
            self.stdout.write(_("Chain %s") % number + latest)
            for package in chain:
                self.stdout.write(f"  {package.built_at}  {_(package.kind):<12} {package.size:>14,} B  {package.path}")
        self.stdout.write(_("Recent builds:"))
        rows = _("rows")
        for record in SnapshotBuild.objects.all()[:10]:
            counts = sum(record.row_counts.values())
            self.stdout.write(f"  {record.started_at:%Y-%m-%d %H:%M:%S}  {record.get_kind_display():<12} "
                              f"{record.get_status_display():<10} {record.duration_seconds or 0:7.1f} s  "
                              f"{counts:>10,} {rows}  {record.error.splitlines()[0] if record.error else ''}")

    def do_key(self, key_action, **options):
        store = storage.keystore()
        try:
            if key_action == "create":
                key = store.create()
                self.stdout.write(_("Key %(id)s created in %(where)s; new packages use it, older keys stay to read "
                                    "older packages.") % {"id": key.id, "where": store.where})
            keys = store.keys()
        except KeyStoreError as exc:
            raise CommandError(str(exc)) from None
        for key in keys:
            mark = _("current") if key is keys[-1] else ""
            can = _("signs") if key.signing else _("verifies only")
            self.stdout.write(f"{key.id}  {key.created:%Y-%m-%d %H:%M}  Ed25519 {key.fingerprint()}  "
                              f"{can}  {mark}")
        if not keys:
            self.stdout.write(_("No key yet: `lifeline snapshot key create` makes one."))




class LineProgress(builder.Progress):
    """Plain lines, for logs and pipes."""

    def __init__(self, out):
        self.out = out

    def say(self, text: str):
        self.out.write(text)
        self.out.flush()

    def entity(self, name, expected):
        self.say(_("reading %s …") % name)

    def stage(self, name, what):
        self.say(_("%(entity)s: %(step)s …") % {"entity": name, "step": _(what)} if name else f"{_(what)} …")

    def entity_done(self, name, rows, deleted, seconds):
        self.say(_("%(name)s: %(rows)s rows, %(deleted)s deleted, %(seconds).1f s") % {
            "name": name, "rows": f"{rows:,}", "deleted": f"{deleted:,}", "seconds": seconds})


class TerminalProgress(LineProgress):
    """A bar per entity, redrawn in place at most ten times a second."""

    WIDTH = 30

    def entity(self, name, expected):
        self.name, self.expected, self.started, self.drawn = name, expected, time.monotonic(), 0.0
        self.rows(name, 0)

    def rows(self, name, count):
        now = time.monotonic()
        if now - self.drawn < 0.1 and 0 < count < (self.expected or count + 1):
            return  # at most ten frames a second, but always the first and the full bar
        self.drawn = now
        if self.expected:
            done = min(count / self.expected, 1)
            bar = "█" * round(done * self.WIDTH) + "░" * (self.WIDTH - round(done * self.WIDTH))
            text = f"{name:<16} {bar} {done:4.0%} {count:>10,}/{self.expected:,}"
        else:
            text = f"{name:<16} {count:>10,}"
        self.out.write(f"\r{text}  {now - self.started:5.1f} s\033[K", ending="")
        self.out.flush()

    def stage(self, name, what):
        self.out.write("\r\033[K", ending="")
        super().stage(name, what)

    def entity_done(self, name, rows, deleted, seconds):
        self.out.write("\r\033[K", ending="")
        super().entity_done(name, rows, deleted, seconds)
