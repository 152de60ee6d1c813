"""Fixtures of the plan tests."""
import pytest


@pytest.fixture
def write_plan(tmp_path):
    """Write plan text to a file and give its path."""

    def write(text, name="plan.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
