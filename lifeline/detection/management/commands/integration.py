from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lifeline.detection import integrations, unrouted
from lifeline.detection.models import Integration


class Command(BaseCommand):
    help = ("Manage alert integrations: `lifeline integration create --kind alertmanager --name NAME` "
            "prints the receiver URL with its token on its last line (shown only this once).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new integration and its receiver URL")
        create.add_argument("--kind", required=True, choices=Integration.Kind.values)
        create.add_argument("--name", required=True)
        create.add_argument("--plan", default="", help="plan id (default: the plan naming the component)")
        create.add_argument("--scenario", default="", help="scenario id of that plan")
        create.add_argument("--level", default="", help="level id of that plan")
        create.add_argument("--component", default="", help="component key when the alert names none")
        sub.add_parser("list", help="the integrations (tokens are never shown again)")

    def handle(self, *args, action, **options):
        if action == "list":
            for integration in Integration.objects.select_related("component"):
                self.stdout.write("\t".join([
                    str(integration.pk), integration.kind, integration.name,
                    "enabled" if integration.enabled else "disabled",
                    integration.plan_id or "-", integration.scenario_id or "-", integration.level_id or "-",
                    integration.component.key if integration.component else "-"]))
            return
        try:
            integration, token = integrations.create_integration(
                kind=options["kind"], name=options["name"], plan_id=options["plan"],
                scenario_id=options["scenario"], level_id=options["level"], component_key=options["component"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"--{field.removesuffix('_id')}: {' '.join(messages)}"
                                         for field, messages in exc.message_dict.items())) from exc
        for warning in unrouted.routing_warnings(integration):
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
        self.stdout.write(f"integration {integration.pk} {integration.kind} {integration.name!r} created; "
                          "the token is shown only now:")
        self.stdout.write(integrations.receiver_url(integration, token))
