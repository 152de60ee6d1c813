"""What one check of a probe found."""
from dataclasses import dataclass


@dataclass
class Reading:
    ok: bool
    latency_ms: float | None = None
    # The number the probe yields (an SQL result, a metric, a JSON field), for its threshold.
    value: float | None = None
    error: str = ""


class Failed(Exception):
    """What the probe watches is not as it should be; the message says how, naming what failed."""
