"""Django's `flush`, allowed to empty the audit log on SQLite too (lifeline.audit.erasing)."""
from django.core.management.commands import flush

from lifeline.audit.erasing import erasing


class Command(flush.Command):
    def handle(self, **options):
        with erasing():
            return super().handle(**options)
