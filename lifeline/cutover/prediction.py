"""The real migration's length, predicted from the rehearsals.

Each rehearsal gives a rate (seconds per row moved). The real migration moves `rows` (by
default as many as the latest rehearsal); scaled by the mean rate and by the slowest one,
that is the expected and the cautious length. No rehearsal, no prediction.
"""
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Prediction:
    rehearsals: int
    rows: int
    expected: timedelta  # at the mean rate
    cautious: timedelta  # at the slowest rehearsal's rate

    @property
    def expected_hm(self) -> tuple[int, int]:
        return _hours_minutes(self.expected)

    @property
    def cautious_hm(self) -> tuple[int, int]:
        return _hours_minutes(self.cautious)


def _hours_minutes(delta: timedelta) -> tuple[int, int]:
    minutes = round(delta.total_seconds() / 60)
    return minutes // 60, minutes % 60


def predict(rehearsals, rows: int | None = None) -> Prediction | None:
    measured = [r for r in rehearsals if r.rows > 0 and r.seconds > 0]
    if not measured:
        return None
    rows = rows if rows is not None else max(measured, key=lambda r: r.started_at).rows
    rates = [r.seconds / r.rows for r in measured]
    return Prediction(len(measured), rows, timedelta(seconds=round(rows * sum(rates) / len(rates))),
                      timedelta(seconds=round(rows * max(rates))))
