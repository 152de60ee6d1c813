"""clock.restored: code that sets the clock back for a while (the demo back-dating an incident)
leaves it as it found it, frozen by a test or running."""
from datetime import UTC, datetime, timedelta

import pytest

from lifeline.core import clock as lifeline_clock

T = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def test_a_frozen_clock_is_frozen_where_it_was_after_the_block(clock):
    clock.freeze(T)
    with lifeline_clock.restored():
        lifeline_clock.freeze(T - timedelta(hours=5))
        lifeline_clock.advance(minutes=4)
    assert lifeline_clock.now() == T


def test_a_running_clock_runs_again_after_the_block_even_when_it_fails():
    with pytest.raises(RuntimeError), lifeline_clock.restored():
        lifeline_clock.freeze(T)
        raise RuntimeError("the back-dated step failed")
    assert abs(lifeline_clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
