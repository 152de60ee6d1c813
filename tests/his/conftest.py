"""A fresh HIS database per test module on each engine: SQLite, PostgreSQL, MariaDB.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root, no password)
are real servers; when one is unreachable the tests fail under CI=true and are skipped,
saying why, otherwise.
"""
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lifeline.his import demo_his, mapping

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{}", "postgres"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{}?charset=utf8mb4", "mysql"),
}
ENGINES = ["sqlite", *SERVERS]


@pytest.fixture(scope="module", params=ENGINES)
def his_url(request, tmp_path_factory):
    """URL of an empty database, dropped after the module."""
    engine = request.param
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('his')}/his.db"
        return
    url, admin_db = SERVERS[engine]
    prefix = getattr(request.module, "DATABASE_PREFIX", "lifeline_his_test")  # a helper's own scratch names
    name = f"{prefix}_{engine}_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.format(admin_db), isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}"
                                       + (" CHARACTER SET utf8mb4" if engine == "mariadb" else ""))
    except OperationalError as exc:
        admin.dispose()
        message = f"{engine} at {admin.url.host}:{admin.url.port} is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the HIS tests must run on every engine)")
        pytest.skip(f"SKIPPED the {engine} HIS tests: {message}")
    try:
        yield url.format(name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name}" + (" WITH (FORCE)" if engine == "postgresql" else ""))
        admin.dispose()


@dataclass
class DemoHis:
    url: str
    mapping_path: Path
    counts: dict

    @property
    def mapping(self) -> mapping.Mapping:
        return mapping.load(self.mapping_path)

    @property
    def engine_name(self) -> str:
        return sa.engine.make_url(self.url).get_backend_name()

    def scalar(self, sql: str):
        """One value from the HIS, `{NAME}` quoted as the database needs."""
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.exec_driver_sql(sql.format_map(demo_his.QuotedNames(engine.dialect))).scalar()
        finally:
            engine.dispose()

    def q(self, name: str) -> str:
        """A table or column name as the mapping writes it."""
        return f'"{name}"' if self.engine_name == "postgresql" else name

    def with_mapping(self, old: str, new: str, tmp_path: Path) -> Path:
        """A copy of the mapping file with one text replaced."""
        text = self.mapping_path.read_text(encoding="utf-8")
        assert old in text
        path = tmp_path / "changed.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path


def build_demo(url, tmp_path_factory, patients) -> DemoHis:
    counts = demo_his.build(url, patients, seed=7)
    path = tmp_path_factory.mktemp("mapping") / "his.yaml"
    path.write_text(demo_his.mapping_text(url), encoding="utf-8")
    return DemoHis(url, path, counts)


@pytest.fixture
def english():
    """Messages in English (tests that match the wording of a reason; Chinese is tested apart)."""
    from django.utils import translation

    with translation.override("en"):
        yield


from tests.snapshots.helpers import cli_home, migrated_home, snapshot_dir  # noqa: E402,F401 - snapshot fixtures
