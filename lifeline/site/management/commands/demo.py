"""`lifeline demo`: the demo hospital, from every app's demo data (plans, people, status page
components, the demo HIS and its snapshot packages, probes) and an admin login."""
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from lifeline.accounts.roles import Role, assign_role
from lifeline.continuity import demo as continuity_demo
from lifeline.core import clock
from lifeline.core.actor import acting_as
from lifeline.detection import demo as detection_demo
from lifeline.people import demo as people_demo
from lifeline.plans import services as plans
from lifeline.status import demo as status_demo


class Command(BaseCommand):
    help = "Load the demo hospital: the five bundled plans, ~40 members, a month of rosters, and an admin login."

    def handle(self, *args, **options):
        password = os.environ.get("LIFELINE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        with acting_as("demo"), transaction.atomic():
            versions = plans.load_bundled()
            people = people_demo.load_demo(clock.now().astimezone().date(), password=password)
            components = status_demo.load_demo()
            admin = self._admin(password)
        with acting_as("demo"):
            snapshots = continuity_demo.load_demo(settings.DATA_DIR)
            probes = detection_demo.load_demo(snapshots["his_database"])
        self.stdout.write(f"Plans loaded: {', '.join(f'{v.plan_id} v{v.number}' for v in versions)}")
        self.stdout.write(f"Members: {people['members']}; demo users (same password): "
                          + "; ".join(f"{role}: {', '.join(names)}" for role, names in people["users"].items()))
        self.stdout.write(f"Status page components: {components}; probes: {probes}")
        self.stdout.write(f"Demo HIS mapping: {snapshots['mapping']}; snapshot packages: "
                          f"{snapshots['full'].path}, {snapshots['incremental'].path}")
        self.stdout.write(f"Admin login: {admin.username} / {password}")

    def _admin(self, password):
        admin, _created = get_user_model().objects.get_or_create(username="admin")
        admin.set_password(password)
        admin.save()
        assign_role(admin, Role.ADMIN)
        return admin
