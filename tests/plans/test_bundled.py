"""Every bundled plan passes the linter, as `lifeline plan check --bundled` does."""
import io

import pytest
from django.core.management import call_command

from lifeline.plans import lint, services


@pytest.mark.parametrize("path", services.bundled_paths(), ids=lambda p: p.name)
def test_the_linter_finds_nothing(path):
    assert lint.check_file(path) == []


def test_there_is_one_bundled_plan_per_seed():
    assert [p.name[:3] for p in services.bundled_paths()] == ["000", "001", "002", "003", "004"]


def test_plan_check_bundled_exits_clean():
    out = io.StringIO()
    call_command("plan", "check", "--bundled", stdout=out)
    assert "5 file(s) checked, no problems" in out.getvalue()
