"""`lifeline his check|demo|churn|doc`: HIS mappings, the demo HIS and the canonical model."""
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lifeline.his import canonical, demo_his, mapping, reader, valuecheck


class Command(BaseCommand):
    help = "Check HIS mapping files, build or churn the demo HIS, write the canonical model's documentation."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="report every problem of a mapping file (exit 1 if any)")
        check.add_argument("mapping_file", metavar="MAPPING", type=Path)
        check.add_argument("--connect", action="store_true",
                           help="also run each query against the HIS and check its columns")
        rows = check.add_mutually_exclusive_group()
        rows.add_argument("--sample", type=int, metavar="N",
                          help="with --connect: check the values of each entity's first N rows as a build would")
        rows.add_argument("--all", action="store_true", help="with --connect: check the values of every row")
        check.add_argument("--problems", type=int, default=20, metavar="N",
                           help="problems shown per entity (default 20)")
        demo = sub.add_parser("demo", help="create a demo HIS (vendor-like schema, realistic data)")
        demo.add_argument("--url", required=True, help="SQLAlchemy URL of an existing, empty database")
        demo.add_argument("--patients", type=int, default=10_000)
        demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same HIS")
        demo.add_argument("--mapping-out", type=Path, default=Path("demo_his.yaml"),
                          help="where to write the matching mapping file (default: demo_his.yaml)")
        demo.add_argument("--password-env", default="HIS_PASSWORD", metavar="NAME",
                          help="when the URL has a password: the environment variable the mapping "
                               "names for it (default: HIS_PASSWORD); the password itself is never written")
        churn = sub.add_parser("churn", help="change a share of the demo HIS's base data")
        churn.add_argument("--url", required=True)
        churn.add_argument("--percent", type=float, required=True)
        churn.add_argument("--seed", type=int)
        doc = sub.add_parser("doc", help="write the canonical model's documentation (Markdown)")
        doc.add_argument("-o", "--output", type=Path, default=Path("docs/canonical-model.md"))

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_check(self, mapping_file: Path, connect, sample=None, all=False, problems=20, **options):
        if (sample is not None or all) and not connect:
            raise CommandError("--sample and --all read the HIS: add --connect")
        if sample is not None and sample < 1:
            raise CommandError("--sample: at least 1")
        found = [str(p) for p in mapping.check_file(mapping_file)]
        if connect and not found:
            try:
                columns = reader.check_columns(mapping.load(mapping_file))
            except reader.HisError as exc:
                raise CommandError(str(exc)) from None
            found = [f"{mapping_file}:{mapping.line_of(mapping_file, path)}: {'.'.join(path)}: {reason}"
                     for path, reason in columns]
        for problem in found:
            self.stdout.write(problem)
        if found:
            raise CommandError(f"{len(found)} problem(s) in {mapping_file}")
        self.stdout.write(self.style.SUCCESS(f"{mapping_file}: no problems" + (
            " (every query ran and yields its canonical columns)" if connect else "")))
        if sample is not None or all:
            self.check_values(mapping_file, None if all else sample, problems)

    def check_values(self, mapping_file: Path, sample: int | None, shown: int):
        """The values of real rows, as a build would judge them (valuecheck.py)."""
        try:
            checks = valuecheck.check_values(mapping.load(mapping_file), sample, shown)
        except reader.HisError as exc:
            raise CommandError(str(exc)) from None
        verdicts = {valuecheck.FAILED: _("a build fails"), valuecheck.SKIPPED: _("row left out"),
                    valuecheck.NULLED: _("value emptied")}
        for check in checks:
            if check.error:
                self.stdout.write(_("%(entity)s: %(error)s") % {"entity": check.name, "error": check.error})
                continue
            self.stdout.write(_("%(entity)s: %(rows)s rows checked") % {"entity": check.name,
                                                                        "rows": f"{check.rows:,}"})
            for (field, outcome), count in sorted(check.counts.items()):
                self.stdout.write(_("  %(field)s: %(count)s bad values (%(verdict)s)") % {
                    "field": field, "count": f"{count:,}", "verdict": verdicts[outcome]})
            for problem in check.examples:
                self.stdout.write(f"    {problem}")
            if check.ahead is not None and check.ahead.rows:
                self.stdout.write(_("  %(rows)s rows stamped ahead of the HIS's clock (newest %(newest)s, clock "
                                    "%(clock)s), e.g. %(keys)s") % {
                    "rows": f"{check.ahead.rows:,}", "newest": check.ahead.newest, "clock": check.ahead.clock,
                    "keys": ", ".join(check.ahead.keys[:5])})
            if check.null_marks:
                self.stdout.write(_("  %(count)s rows without a watermark value (NULL): an incremental never reads "
                                    "their changes") % {"count": f"{check.null_marks:,}"})
            if check.limits_broken:
                self.stdout.write(_("  a build would be refused: more than the mapping's limits allow (%(limits)s)")
                                  % {"limits": ", ".join(check.limits_broken)})
        failing = [c.name for c in checks if c.fails]
        refused = [c.name for c in checks if c.refused and not c.fails]
        rows = sum(c.rows for c in checks)
        if failing or refused:
            raise CommandError(_("%(file)s: %(rows)s rows checked; a build would fail (%(failing)s) or be refused "
                                 "(%(refused)s)") % {"file": mapping_file, "rows": f"{rows:,}",
                                                     "failing": ", ".join(failing) or "-",
                                                     "refused": ", ".join(refused) or "-"})
        self.stdout.write(self.style.SUCCESS(_("%(file)s: %(rows)s rows checked; a build would take them") % {
            "file": mapping_file, "rows": f"{rows:,}"}))

    def do_demo(self, url, patients, seed, mapping_out, password_env, **options):
        if patients < 1:
            raise CommandError("--patients: at least 1")
        password = _his_url(url).password
        started = time.perf_counter()
        with _reaching(url):
            counts = demo_his.build(url, patients, seed)
        for table, count in counts.items():
            self.stdout.write(f"{table:<18} {count:>10,} rows")
        self.stdout.write(f"demo HIS built in {time.perf_counter() - started:.1f} s")
        mapping_out.write_text(demo_his.mapping_text(url, password_env if password else None), encoding="utf-8")
        self.stdout.write(f"mapping written to {mapping_out}")
        if password:
            self.stdout.write(f"the mapping holds no password: set {password_env} before taking snapshots")

    def do_churn(self, url, percent, seed, **options):
        if not 0 < percent <= 100:
            raise CommandError("--percent: more than 0 and at most 100")
        _his_url(url)
        with _reaching(url):
            changed = demo_his.churn(url, percent, seed)
        for entity, keys in changed.items():
            self.stdout.write(f"{entity:<12} {len(keys):>8,} rows changed")

    def do_doc(self, output: Path, **options):
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(canonical.markdown(), encoding="utf-8")
        self.stdout.write(f"{output} written")



def _his_url(url: str) -> sa.engine.URL:
    try:
        return sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise CommandError(f"--url: {url!r} is not a SQLAlchemy URL "
                           "(dialect+driver://user@host:port/database)") from None


@contextmanager
def _reaching(url: str):
    """Errors of reaching the demo HIS's database said in one line, naming --url."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        raise CommandError(f"--url: {_his_url(url).render_as_string()}: {reason}") from None
