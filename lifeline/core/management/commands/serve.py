import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) on the given address."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("LIFELINE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("LIFELINE_WEB_WORKERS", "3")))

    def handle(self, *args, bind, workers, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        # --no-control-socket: gunicorn's control socket has one path per user (~/.gunicorn/), so a
        # second gunicorn on the host (a station beside the server) would take it over; unused here.
        self.stdout.write(f"Lifeline listening on http://{bind}/ (data in {settings.DATA_DIR})")
        os.execv(
            sys.executable,
            [sys.executable, "-m", "gunicorn", "lifeline.wsgi:application", "--bind", bind, "--workers", str(workers),
             "--access-logfile", "-", "--timeout", "120", "--no-control-socket"],
        )
