"""`lifeline demo`: the demo hospital, from every app's demo data (plans, people, status page
components, the demo HIS and its snapshot packages, probes) and an admin login."""
import os
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from lifeline.accounts.roles import Role, assign_role
from lifeline.backups import demo as backups_demo
from lifeline.core import clock
from lifeline.core.actor import acting_as
from lifeline.cutover import demo as cutover_demo
from lifeline.detection import demo as detection_demo
from lifeline.drills import demo as drills_demo
from lifeline.inspections import demo as inspections_demo
from lifeline.people import demo as people_demo
from lifeline.plans import departments as plan_departments
from lifeline.plans import services as plans
from lifeline.reconciliation import demo as reconciliation_demo
from lifeline.recovery import demo as recovery_demo
from lifeline.snapshots import demo as snapshot_demo
from lifeline.status import demo as status_demo


class Command(BaseCommand):
    help = "Load the demo hospital: the five bundled plans, ~40 members, a month of rosters, and an admin login."

    def handle(self, *args, **options):
        password = os.environ.get("LIFELINE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        with acting_as("demo"), transaction.atomic():
            versions = plans.load_bundled()
            people = people_demo.load_demo(clock.now().astimezone().date(), password=password)
            for plan_id, mapping in people_demo.DEPARTMENTS.items():
                for plan_department, departments in mapping.items():
                    plan_departments.set_mapping(plan_id, plan_department, departments)
            components = status_demo.load_demo()
            admin = self._admin(password)
        with acting_as("demo"):
            snapshots = snapshot_demo.load_demo(settings.DATA_DIR)
            probes = detection_demo.load_demo(snapshots["his_database"])
            inspections = inspections_demo.load_demo()
            backups = backups_demo.load_demo(settings.DATA_DIR)
            cutover = cutover_demo.load_demo()
            drills = drills_demo.load_demo()
            downtime = recovery_demo.window(clock.now())
            received = recovery_demo.load_demo([snapshots["full"].path, snapshots["incremental"].path], *downtime)
            reconciliation = reconciliation_demo.load_demo(*downtime)
        self.stdout.write(f"Plans loaded: {', '.join(f'{v.plan_id} v{v.number}' for v in versions)}")
        self.stdout.write(f"Members: {people['members']}; status page components: {components}; probes: {probes}")
        self.stdout.write(f"Inspection checklists: {', '.join(inspections['checklists'])}; "
                          f"spare parts: {inspections['parts']}")
        self.stdout.write(f"Backups: {backups['systems']} systems, {backups['jobs']} jobs, restore test "
                          f"{backups['restore_test']}; DR components: {backups['components']}")
        self.stdout.write(f"Go-live cutover: {cutover.name} ({cutover.tasks.count()} tasks, "
                          f"{cutover.rehearsals.count()} migration rehearsals)")
        self.stdout.write(f"Drills: {drills['drills']} (seed 001's monthly network-outage drill)")
        self.stdout.write(f"Stations' journals received (not merged): "
                          f"{', '.join(f'{name} {count}' for name, count in received.items())}; "
                          f"reconciliation: {reconciliation.get('reconciliation')}")
        self.stdout.write(f"Demo HIS mapping: {snapshots['mapping']}; snapshot packages: "
                          f"{snapshots['full'].path}, {snapshots['incremental'].path}")
        self.stdout.write(self.logins(admin.username, people["users"], password))

    @staticmethod
    def logins(admin: str, users: dict, password: str) -> str:
        """The block a newcomer copies: where to go, who to log in as, and the one password."""
        rule = "-" * 64
        lines = [rule, f"Lifeline demo: {settings.LIFELINE_BASE_URL}/  (every login below uses the same password)",
                 f"  password   {password}", f"  admin      {admin}"]
        width = {role: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in role) for role in users}
        lines += [f"  {role}{' ' * (11 - width[role])}{', '.join(names)}" for role, names in users.items()]
        lines.append(rule)
        return "\n".join(lines)

    def _admin(self, password):
        admin, _created = get_user_model().objects.get_or_create(username="admin")
        admin.set_password(password)
        admin.save()
        assign_role(admin, Role.ADMIN)
        return admin
