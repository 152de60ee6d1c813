"""`lifeline worker`: runs the periodic jobs that the apps register.

An app registers a job in its `tasks.py`:

    from lifeline.core.worker import job

    @job(every=5)
    def fire_due_timers(now): ...

Jobs keep their own durable state in the database and claim rows with
`SELECT ... FOR UPDATE SKIP LOCKED`, so several workers can run side by side and a
restart neither loses nor repeats work. The loop only decides when to call them.
"""
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.db import OperationalError, close_old_connections

from lifeline.core import clock
from lifeline.core.actor import acting_as

log = logging.getLogger("lifeline.worker")


@dataclass
class Job:
    name: str
    func: callable
    every: float
    next_run: float = 0.0


_jobs: dict[str, Job] = {}
# A job that meets SQLite's "database is locked" is tried this often, waiting BUSY_BACKOFF x attempt s.
BUSY_ATTEMPTS, BUSY_BACKOFF = 4, 1.0


def job(every: float):
    """Register `func(now)` to run every `every` seconds in the worker."""

    def register(func):
        name = f"{func.__module__}.{func.__name__}"
        _jobs[name] = Job(name, func, every)
        return func

    return register


def discover() -> list[Job]:
    for config in apps.get_app_configs():
        if config.name.startswith("lifeline."):
            try:
                import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise
    return list(_jobs.values())


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(self, tick: float = 0.5):
        self.tick = tick
        self.stopping = threading.Event()
        self.name = worker_name()

    def stop(self, *_):
        log.info("worker %s stopping", self.name)
        self.stopping.set()

    def run_due(self):
        """Run every job whose time has come; one failing job never stops the others."""
        monotonic = time.monotonic()
        for item in discover():
            if monotonic < item.next_run:
                continue
            # Schedule on a fixed grid from the planned time, not from when the job ran, so
            # a slow run does not push every later run back (no drift); missed slots are skipped.
            item.next_run = (item.next_run or monotonic) + item.every
            while item.next_run <= monotonic:
                item.next_run += item.every
            self.run_job(item)

    def run_job(self, item: Job, attempts: int = BUSY_ATTEMPTS):
        """Run one job; SQLite's "database is locked" (another process writing past the busy
        timeout) waits and retries the job, which is safe: jobs keep their state in the database."""
        for attempt in range(1, attempts + 1):
            try:
                with acting_as("worker"):
                    item.func(clock.now())
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == attempts:
                    log.exception("job %s failed", item.name)
                    return
                log.warning("job %s: database is locked, retry %d of %d", item.name, attempt, attempts - 1)
                close_old_connections()
                self.stopping.wait(BUSY_BACKOFF * attempt)
            except Exception:
                log.exception("job %s failed", item.name)
                return

    def run(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("worker %s started with jobs: %s", self.name, ", ".join(j.name for j in discover()))
        while not self.stopping.is_set():
            self.run_due()
            self.stopping.wait(self.tick)
        log.info("worker %s stopped", self.name)
