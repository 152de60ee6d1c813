"""The HIS tests' fixtures (a demo HIS on each engine, English messages) and the snapshot ones."""
from tests.his.conftest import english, his_url  # noqa: F401 - fixtures
from tests.snapshots.helpers import cli_home, migrated_home, snapshot_dir  # noqa: F401 - fixtures
