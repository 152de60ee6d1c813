"""`lifeline plan check|load|activate|list|simulate|print|doc`: plan files from the command line."""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifeline.plans import coverage, lint, reference, schema, services, simulate
from lifeline.plans.models import Plan, PlanVersion


class Command(BaseCommand):
    help = "Check, load, activate, list, simulate and print emergency plans (预案 YAML files)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="report every problem of plan files (exit 1 if any)")
        check.add_argument("files", nargs="*", type=Path)
        check.add_argument("--bundled", action="store_true", help="check the plans shipped with Lifeline")
        check.add_argument("--roster", action="store_true",
                           help="also warn about roles the plan pages that no duty roster in the database covers")
        load = sub.add_parser("load", help="store plan files as new versions (nothing if any has a problem)")
        load.add_argument("files", nargs="*", type=Path)
        load.add_argument("--bundled", action="store_true", help="load the plans shipped with Lifeline")
        load.add_argument("--no-activate", action="store_true",
                          help="keep the current versions active (a plan's first version is always active)")
        load.add_argument("--user", help="username recorded as the one who loaded")
        activate = sub.add_parser("activate", help="make a stored version the active one")
        activate.add_argument("plan_id")
        activate.add_argument("version", type=int)
        activate.add_argument("--user", help="username recorded as the one who activated")
        sub.add_parser("list", help="plans, their versions and which one is active")
        run = sub.add_parser("simulate", help="timeline of a scenario if nobody acknowledges or resolves")
        run.add_argument("plan", help="id of a loaded plan, or a plan file")
        run.add_argument("--scenario", required=True, help="scenario id")
        printed = sub.add_parser("print", help="the plan binder as PDF or Word")
        printed.add_argument("plan", help="id of a loaded plan, or a plan file")
        printed.add_argument("--format", choices=["pdf", "docx"], default="pdf")
        printed.add_argument("-o", "--output", required=True, type=Path)
        doc = sub.add_parser("doc", help="print the plan file's field reference (Markdown), from the schema")
        doc.add_argument("--write", type=Path, metavar="FILE",
                         help="put it between the `plan doc` markers of FILE (docs/plans.md) instead")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_doc(self, write, **options):
        if write is None:
            self.stdout.write(reference.markdown(), ending="")
            return
        try:
            changed = reference.write_into(write)
        except (OSError, ValueError) as exc:
            raise CommandError(f"--write: {exc}") from exc
        self.stdout.write(f"{write} {'written' if changed else 'already up to date'}")

    def do_check(self, files, bundled, roster=False, **options):
        paths = self._paths(files, bundled)
        problems = [problem for path in paths for problem in lint.check_file(path)]
        self._fail_on(problems, len(paths))
        warnings = 0
        if roster:  # warnings, not problems: a roster can be filled after the plan is loaded
            for path in paths:
                for paged in coverage.uncovered(services.read_plan(path)):
                    warnings += 1
                    self.stdout.write(self.style.WARNING(
                        f"{path}: roles: warning: no duty roster covers {paged.role} ({paged.title}); "
                        f"paged by {', '.join(paged.why)}"))
        said = f", {warnings} roster warning(s)" if warnings else (", every paged role on a roster" if roster else "")
        self.stdout.write(self.style.SUCCESS(f"{len(paths)} file(s) checked, no problems{said}"))

    def do_load(self, files, bundled, no_activate, user, **options):
        paths = self._paths(files, bundled)
        try:
            versions = services.load_files(paths, user=self._user(user), activate=not no_activate)
        except services.PlanInvalid as exc:
            self._fail_on(exc.problems, len(paths), suffix="; nothing stored")
        for version in versions:
            self.stdout.write(f"{version.plan_id} v{version.number} {'active' if version.is_active else 'stored'}")

    def do_activate(self, plan_id, version, user, **options):
        try:
            found = PlanVersion.objects.get(plan_id=plan_id, number=version)
        except PlanVersion.DoesNotExist:
            raise CommandError(f"plan {plan_id!r} has no version {version} (see `lifeline plan list`)") from None
        found = services.activate(found, user=self._user(user))
        self.stdout.write(f"{found.plan_id} v{found.number} active")

    def do_list(self, **options):
        for plan in Plan.objects.prefetch_related("versions__loaded_by"):
            self.stdout.write(f"{plan.id}  {plan.name}  ({plan.organisation})")
            for version in plan.versions.all():
                loaded = timezone.localtime(version.loaded_at).strftime("%Y-%m-%d %H:%M")
                by = f" by {version.loaded_by.username}" if version.loaded_by else ""
                mark = "* active" if version.is_active else "        "
                self.stdout.write(f"  {mark}  v{version.number}  loaded {loaded}{by}  sha256 {version.sha256[:12]}")

    def do_simulate(self, plan, scenario, **options):
        content = self._plan(plan)
        try:
            events = simulate.simulate(content, scenario)
        except simulate.UnknownScenario as exc:
            raise CommandError(f"--scenario: {exc}") from None
        width = max(len(simulate.format_offset(e.minute)) for e in events)
        for event in events:
            self.stdout.write(f"{simulate.format_offset(event.minute):<{width}}  {event.kind:<9}  {event.text}")

    def do_print(self, plan, format, output, **options):
        from lifeline.plans import printing  # written alongside; imported only when printing

        output.write_bytes(printing.render_binder(self._plan(plan), format))
        self.stdout.write(f"{output} written ({format})")

    def _paths(self, files, bundled) -> list[Path]:
        paths = list(files)
        if bundled:
            paths += services.bundled_paths() or self._no_bundled()
        if not paths:
            raise CommandError("name at least one plan file, or --bundled")
        return paths

    def _no_bundled(self):
        raise CommandError(f"--bundled: no plan files in {services.BUNDLED_DIR}")

    def _fail_on(self, problems, file_count, suffix=""):
        if not problems:
            return
        for problem in problems:
            self.stdout.write(str(problem))
        files = len({p.file for p in problems})
        raise CommandError(f"{len(problems)} problem(s) in {files} of {file_count} file(s){suffix}")

    def _plan(self, ref: str) -> schema.Plan:
        """A plan file (checked first), or the active version of a loaded plan."""
        path = Path(ref)
        if path.suffix in (".yaml", ".yml") or path.is_file():
            try:
                return services.read_plan(path)
            except services.PlanInvalid as exc:
                self._fail_on(exc.problems, 1)
        try:
            return services.active_version(ref).content
        except PlanVersion.DoesNotExist:
            known = ", ".join(Plan.objects.values_list("id", flat=True)) or "none loaded"
            raise CommandError(f"no loaded plan {ref!r} and no such file (plans: {known})") from None

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"--user: no user named {username!r}") from None
