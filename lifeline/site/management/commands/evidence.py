"""`lifeline evidence --from DATE --to DATE -o FILE.zip`: the evidence pack (评审材料) for an audit."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from lifeline.core.errors import Refused
from lifeline.site import evidence


class Command(BaseCommand):
    help = ("Write the evidence pack for a period: plans, drills, inspections, backups and restore tests, "
            "incidents with fault analyses, the audit log's verification, and an index (PDF and JSON).")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day, YYYY-MM-DD (included)")
        parser.add_argument("-o", "--output", required=True, metavar="FILE.zip", help="the zip file to write")
        parser.add_argument("--language", default="zh-hans", choices=[code for code, _name in settings.LANGUAGES],
                            help="language of the index and the tables (default zh-hans)")

    def handle(self, *args, start, end, output, language, **options):
        try:
            period = evidence.parse_period(start, end)
        except Refused as exc:
            raise CommandError(f"--{exc.field}: {exc.message}", returncode=2) from None
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"--output: no such directory {target.parent}", returncode=2)
        with translation.override(language):
            items = evidence.write_pack(period, target)
        self.stdout.write(f"{target}: {len(items)} items for {period.start} to {period.end}")
