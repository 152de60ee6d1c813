"""Every model change has its migration: a model edited without one would migrate a fresh
site to tables that differ from the code (and the next makemigrations would pick up someone
else's change)."""
import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail("models changed without a migration:\n" + out.getvalue())
