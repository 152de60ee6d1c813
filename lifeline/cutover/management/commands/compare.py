"""`lifeline compare --source URL --target URL --spec FILE [-o FILE.xlsx]`: the old system's tables
against the new system's (lifeline.cutover.compare). Exit status 1 when a table's differences
exceed its tolerance, so a go/no-go check can run it; 2 for a bad spec, URL, table or column.
With --rehearsal ID the per-table summary is kept with that migration rehearsal."""
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from lifeline.core.spreadsheets import write_xlsx
from lifeline.cutover import services
from lifeline.cutover.compare import CompareError, SpecError, compare, load_spec
from lifeline.cutover.compare.report import HEADER
from lifeline.cutover.models import Rehearsal


class Command(BaseCommand):
    help = "Compare tables between the old and the new system (row counts, missing, extra and changed rows)."

    def add_arguments(self, parser):
        parser.add_argument("--source", required=True, metavar="URL", help="the old system's database")
        parser.add_argument("--target", required=True, metavar="URL", help="the new system's database")
        parser.add_argument("--spec", required=True, type=Path, metavar="FILE", help="the comparison spec (YAML)")
        parser.add_argument("-o", "--output", type=Path, metavar="FILE.xlsx",
                            help="write the full list of differences to this Excel file")
        parser.add_argument("--rehearsal", type=int, metavar="ID",
                            help="attach the summary to this migration rehearsal (cutover board)")

    def handle(self, *args, source, target, spec, output=None, rehearsal=None, **options):
        found = Rehearsal.objects.filter(pk=rehearsal).first() if rehearsal is not None else None
        if rehearsal is not None and found is None:
            self.stderr.write(f"--rehearsal: no migration rehearsal {rehearsal}")
            sys.exit(2)
        try:
            loaded = load_spec(spec)
            report = compare(source, target, loaded)
        except (SpecError, CompareError) as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        for line in report.summary_lines(loaded.samples):
            self.stdout.write(line)
        if found is not None:
            services.attach_comparison(found, report.summary())
            self.stdout.write(f"summary attached to rehearsal {found.pk} of {found.cutover}")
        if output:
            output.write_bytes(write_xlsx("differences", HEADER, report.rows()))
            self.stdout.write(f"full list: {output}")
        if report.exceeds_tolerance:
            self.stderr.write("differences exceed the tolerance")
            sys.exit(1)
