"""Fault injection for lab drills: stop a named local service or block a port, and undo it.

Only targets listed with `drill_safe: True` are touched. The list is the file
<data dir>/drill_targets.json, written on the server by whoever runs it (never from a page, so
no web user can declare a production system drill-safe), or settings.DRILL_TARGETS where set:

    {
        "lab-his-web": {"drill_safe": true, "service": "nginx"},          # systemctl stop/start
        "lab-insurance": {"drill_safe": true, "port": 9443},              # iptables REJECT, then delete
        "lab-interface": {"drill_safe": true, "stop": [...], "start": [...]},  # configured argv
    }

`Fault` is the small interface; `CommandFault` the one real implementation (argv run without a
shell, with a timeout). Anything else is refused naming the field `fault_target`.
"""
import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from lifeline.core.errors import Refused

TIMEOUT_SECONDS = 30
TARGETS_FILE = "drill_targets.json"


class Fault(Protocol):
    """What a drill needs of a fault: make it, and undo it (both idempotent enough to retry)."""

    def inject(self) -> str: ...

    def undo(self) -> str: ...


@dataclass(frozen=True)
class CommandFault:
    stop: tuple[str, ...]
    start: tuple[str, ...]

    def inject(self) -> str:
        return _run(self.stop)

    def undo(self) -> str:
        return _run(self.start)


def _run(argv) -> str:
    """Run argv; a non-zero exit or a timeout is a RuntimeError carrying what it said."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{' '.join(argv)}: {exc}") from exc
    said = (done.stdout + done.stderr).strip()[:500]
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {said}")
    return f"{' '.join(argv)}: ok {said}".strip()


def _service_argv(name: str, action: str) -> tuple[str, ...]:
    if shutil.which("systemctl"):
        return ("systemctl", action, name)
    return ("service", name, action)


def _port_argv(port: int, flag: str) -> tuple[str, ...]:
    return ("iptables", flag, "INPUT", "-p", "tcp", "--dport", str(port), "-j", "REJECT")


def configured_targets() -> dict:
    """settings.DRILL_TARGETS, else the data directory's drill_targets.json, else none."""
    if getattr(settings, "DRILL_TARGETS", None) is not None:
        return settings.DRILL_TARGETS
    path = settings.DATA_DIR / TARGETS_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise Refused("fault_target", _("%(file)s is not valid JSON: %(error)s")
                      % {"file": path.name, "error": exc}) from exc


def check_target(name: str) -> dict:
    """The target's configuration, or a refusal naming `fault_target` (unknown or not drill-safe)."""
    targets = configured_targets()
    spec = targets.get(name)
    if spec is None:
        listed = ", ".join(sorted(targets)) or _("none")
        raise Refused("fault_target", _("%(name)s is not a configured drill target (configured: %(listed)s)")
                      % {"name": name, "listed": listed})
    if spec.get("drill_safe") is not True:
        raise Refused("fault_target", _("%(name)s is not listed as drill-safe: no fault is injected there")
                      % {"name": name})
    return spec


def fault_for(name: str) -> Fault:
    spec = check_target(name)
    if "service" in spec:
        return CommandFault(_service_argv(spec["service"], "stop"), _service_argv(spec["service"], "start"))
    if "port" in spec:
        return CommandFault(_port_argv(int(spec["port"]), "-I"), _port_argv(int(spec["port"]), "-D"))
    if spec.get("stop") and spec.get("start"):
        return CommandFault(tuple(spec["stop"]), tuple(spec["start"]))
    raise Refused("fault_target", _("%(name)s names no service, port or stop/start commands") % {"name": name})
