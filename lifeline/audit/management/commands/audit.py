import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifeline.audit import services
from lifeline.audit.models import AuditEntry


class Command(BaseCommand):
    help = "The audit log: `lifeline audit verify` checks the hash chain; `lifeline audit log` lists entries."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check that no entry was changed or deleted (exit 1 if one was)")
        log = sub.add_parser("log", help="list the newest entries")
        log.add_argument("--model", default="", help="only this model, as app_label.Model (e.g. auth.User)")
        log.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")

    def handle(self, *args, action, **options):
        if action == "verify":
            self.verify()
        else:
            self.log(options["model"], options["limit"])

    def verify(self):
        result = services.verify()
        if not result.ok:
            raise CommandError(f"BROKEN at entry {result.broken_seq}: {result.reason} "
                               f"({result.checked} entries before it are intact)")
        self.stdout.write(f"OK: {result.checked} entries, chain intact")
        self.stdout.write(f"head hash: {result.head_hash}")

    def log(self, model, limit):
        if limit < 1:
            raise CommandError("--limit: must be at least 1")
        entries = AuditEntry.objects.order_by("-seq")
        if model:
            entries = entries.filter(object_type=model.lower())
        for entry in entries[:limit]:
            changes = json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)
            self.stdout.write(f"{entry.seq:>6} {timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S} {entry.actor_label} {entry.action} "
                              f"{entry.object_type}#{entry.object_id} {entry.object_repr} {changes}")
