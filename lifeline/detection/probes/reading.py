"""What one check of a probe found."""
from dataclasses import dataclass


@dataclass
class Reading:
    # None: this reading cannot judge yet (rate() without a recent previous scrape); it counts
    # neither way and is not kept among the readings.
    ok: bool | None
    latency_ms: float | None = None
    # The number the probe yields (an SQL result, a metric, a JSON field), for its threshold.
    value: float | None = None
    error: str = ""


class Failed(Exception):
    """What the probe watches is not as it should be; the message says how, naming what failed."""
