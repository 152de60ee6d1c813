"""`lifeline merge [--dry-run]`: the received journal events into the HIS (merge-back), exactly once.

Prints what would be (or was) written and every conflict; exit 1 when refused (a conflict open,
another run queued or running) or when the HIS refused a batch. Killed anywhere, run it again: it
continues (the killed run is failed first: its process is gone)."""
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.recovery import merging
from lifeline.recovery.models import Conflict, MergeRun
from lifeline.recovery.records import record_name


class Command(BaseCommand):
    help = "Merge the received journal events into the HIS (exactly once); --dry-run only lists."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be written and every conflict; write nothing")
        parser.add_argument("--batch", type=int, default=merging.BATCH, help="events per HIS transaction")

    def handle(self, *args, dry_run, batch, **options):
        if batch < 1:
            raise CommandError(_("--batch: at least 1"))
        try:
            merge_run = merging.run(None, clock.now(), dry_run=dry_run, batch=batch, progress=self._progress,
                                    listing=self._list if dry_run else None)
        except Refused as refused:  # another run is queued or running: one at a time
            raise CommandError(refused.message) from None
        self._report(merge_run)
        if merge_run.state != MergeRun.State.DONE:
            raise CommandError(merge_run.message)

    def _list(self, found: merging.MergePlan):
        """Every event the merge would write and the records it gives, one line each."""
        for event, change in zip(found.events, found.changes, strict=True):
            kinds = Counter(kind for kind, _fields in change.records)
            self.stdout.write(_("%(station)s #%(seq)d %(kind)s: %(records)s") % {
                "station": change.station, "seq": change.seq, "kind": event.kind,
                "records": _(", ").join(f"{record_name(k)} ×{n}"
                                        for k, n in kinds.items()) or _("no record (the ledger notes it)")})

    def _progress(self, merge_run: MergeRun):
        self.stdout.write(_("merged %(done)d of %(total)d events") % {"done": merge_run.done,
                                                                      "total": merge_run.total})
        self.stdout.flush()

    def _report(self, merge_run: MergeRun):
        counts = merge_run.counts
        for kind, count in sorted(counts.get("records", {}).items()):
            self.stdout.write(_("  %(kind)s: %(count)d records") % {"kind": record_name(kind), "count": count})
        conflicts = Conflict.objects.filter(event__merged_at__isnull=True).select_related("event__station")
        for conflict in conflicts:
            self.stdout.write(_("  conflict [%(state)s] %(kind)s: %(station)s #%(seq)d %(key)s") % {
                "state": conflict.get_state_display(), "kind": conflict.get_kind_display(),
                "station": conflict.event.station.name, "seq": conflict.event.seq, "key": conflict.key})
        self.stdout.write(merge_run.message)
