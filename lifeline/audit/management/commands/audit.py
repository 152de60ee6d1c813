import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifeline.audit import services
from lifeline.audit.anchors import anchor_file
from lifeline.audit.models import AuditEntry
from lifeline.core import clock


class Command(BaseCommand):
    help = ("The audit log: `lifeline audit verify` checks the chain against the audit key and the anchors; "
            "`lifeline audit anchor` writes an anchor now; `lifeline audit log` lists entries.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check that no entry was changed or deleted (exit 1 if one was)")
        sub.add_parser("anchor", help="verify, then write the chain's head to the anchor file now (exit 1 if broken)")
        log = sub.add_parser("log", help="list the newest entries")
        log.add_argument("--model", default="", help="only this model, as app_label.Model (e.g. auth.User)")
        log.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")

    def handle(self, *args, action, **options):
        if action == "verify":
            self.verify()
        elif action == "anchor":
            self.anchor()
        else:
            self.log(options["model"], options["limit"])

    def verify(self):
        result = services.verify()
        if not result.ok:
            where = f"BROKEN at entry {result.broken_seq}" if result.broken_seq else "BROKEN"
            raise CommandError(f"{where}: {result.reason} ({result.checked} entries before it are intact)")
        self.stdout.write(f"OK: {result.checked} entries, chain intact")
        self.stdout.write(f"head hash: {result.head_hash}")
        if result.legacy:
            self.stdout.write(f"entries 1-{result.legacy}: written before the audit key, plain SHA-256 "
                              f"(pinned by the signed entries and anchors after them)")
        last = result.last_anchor
        if last is None:
            self.stdout.write(f"anchors: none in {anchor_file()} yet: entries cut off from the end would not be seen")
        else:
            self.stdout.write(f"anchors: {len(result.anchors)}, newest at entry {last.seq} on "
                              f"{timezone.localtime(last.at):%Y-%m-%d %H:%M}; {result.unanchored} newer "
                              f"entries not anchored yet")

    def anchor(self):
        try:
            anchor = services.checkpoint(clock.now(), force=True)
        except services.ChainBroken as exc:
            raise CommandError(f"not anchored: {exc}") from None
        self.stdout.write(f"anchored entry {anchor.seq} ({anchor.hash}) in {anchor_file()}")

    def log(self, model, limit):
        if limit < 1:
            raise CommandError("--limit: must be at least 1")
        entries = AuditEntry.objects.order_by("-seq")
        if model:
            entries = entries.filter(object_type=model.lower())
        for entry in entries[:limit]:
            changes = json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)
            self.stdout.write(f"{entry.seq:>6} {timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S} {entry.actor_label} "
                              f"{entry.action} {entry.object_type}#{entry.object_id} {entry.object_repr} {changes}")
