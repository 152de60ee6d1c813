"""`lifeline his demo`: a vendor-like HIS with its mapping, the same for the same seed."""
import datetime

import pytest
import sqlalchemy as sa
from django.core.management import CommandError, call_command

from lifeline.his import demo_his


def rows(url, table):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
    engine.dispose()
    return found


def test_demo_command_builds_the_his_and_writes_a_mapping_that_checks(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/his.db"
    out = tmp_path / "his.yaml"
    call_command("his", "demo", "--url", url, "--patients", "500", "--mapping-out", str(out))
    printed = capsys.readouterr().out
    assert "PAT_MASTER_INDEX          500 rows" in printed and f"mapping written to {out}" in printed
    call_command("his", "check", str(out), "--connect")
    assert "no problems" in capsys.readouterr().out
    registrations = rows(url, demo_his.OUTP_REGISTER)
    assert [r.REGISTER_ID for r in registrations] == [1, 2, 3, 4, 5]  # numbered by the sequence


def test_same_seed_same_his(tmp_path):
    now = datetime.datetime(2025, 3, 1, 9, 30)
    first, second, other = (f"sqlite:///{tmp_path}/{name}.db" for name in ("a", "b", "c"))
    demo_his.build(first, 300, seed=5, now=now)
    demo_his.build(second, 300, seed=5, now=now)
    demo_his.build(other, 300, seed=6, now=now)
    for table in (demo_his.PAT_MASTER_INDEX, demo_his.DRUG_DICT, demo_his.CLINIC_SCHEDULE):
        assert rows(first, table) == rows(second, table)
    assert rows(first, demo_his.PAT_MASTER_INDEX) != rows(other, demo_his.PAT_MASTER_INDEX)
    names = [r.NAME for r in rows(first, demo_his.PAT_MASTER_INDEX)]
    assert all(2 <= len(name) <= 4 for name in names) and len(set(names)) > 250


def test_on_every_engine_the_mapping_holds_no_password_and_checks(his_url, tmp_path, capsys, monkeypatch):
    """The URL as a DBA writes it: a password in it (PostgreSQL's trust auth ignores it here), and
    MariaDB's bare scheme (Lifeline picks the driver it installs)."""
    url = sa.engine.make_url(his_url)
    if url.get_backend_name() == "postgresql":
        url = url._replace(password="s3cret-his")
    elif url.get_backend_name() == "mysql":
        url = url._replace(drivername="mariadb")
    out = tmp_path / "his.yaml"
    call_command("his", "demo", "--url", url.render_as_string(hide_password=False), "--patients", "200",
                 "--mapping-out", str(out))
    printed = capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "s3cret-his" not in text and "s3cret-his" not in printed
    if url.password:
        assert "password_env: HIS_PASSWORD" in text and "set HIS_PASSWORD before taking snapshots" in printed
        monkeypatch.setenv("HIS_PASSWORD", "s3cret-his")
    call_command("his", "check", str(out), "--connect")
    assert "no problems" in capsys.readouterr().out


def test_an_unreachable_or_malformed_url_is_one_clear_line(tmp_path):
    with pytest.raises(CommandError, match=r"^--url: 'his\.example' is not a SQLAlchemy URL"):
        call_command("his", "demo", "--url", "his.example", "--mapping-out", str(tmp_path / "m.yaml"))
    with pytest.raises(CommandError, match=r"^--url: mariadb://root:\*\*\*@127\.0\.0\.1:1/his: .*Can't connect"):
        call_command("his", "churn", "--url", "mariadb://root:pw@127.0.0.1:1/his", "--percent", "1")
    assert not (tmp_path / "m.yaml").exists()
