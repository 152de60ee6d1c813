import pytest


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    """Each test its own anchor file: anchors name entries of this test's chain only."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.log"
    return settings.AUDIT_ANCHOR_FILE
