from django.core.management.base import BaseCommand

from lifeline.core.worker import Worker


class Command(BaseCommand):
    help = "Run the background worker (timers, probes, deliveries) until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=0.5, help="seconds between scheduling rounds")

    def handle(self, *args, tick, **options):
        Worker(tick=tick).run()
