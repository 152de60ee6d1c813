"""The mapping file linter: every problem with file, line, field and reason; no password inside."""
import pytest
from django.core.management import CommandError, call_command
from sqlalchemy.engine import make_url

from lifeline.core import databases
from lifeline.his import demo_his, mapping


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "his.yaml"
    path.write_text(demo_his.mapping_text("postgresql+psycopg://lifeline@his.example:5432/his",
                                          password_env="HIS_PASSWORD"), encoding="utf-8")
    return path


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def lines(path):
    return [str(p).removeprefix(f"{path}:") for p in mapping.check_file(path)]


def test_the_demo_mapping_is_clean(good):
    loaded = mapping.load(good)
    assert loaded.entities["patient"].watermark == "his_modified"
    assert loaded.entities["drug_stock"].key == ["pharmacy_code", "drug_code", "batch_no"]
    assert "INSERT INTO" in loaded.merge_back["charge"].statements[0]


def test_a_password_in_the_url_is_refused(good):
    edit(good, "lifeline@his", "lifeline:s3cret@his")
    assert lines(good) == ["7: connection.url: a password never goes into the mapping file: name an environment "
                           "variable (connection.password_env) or a secrets file (connection.password_file)"]


def test_a_password_key_is_refused(good):
    edit(good, "  password_env: HIS_PASSWORD", "  password: s3cret")
    assert [line.split(": a password never")[0] for line in lines(good)] == ["8: connection.password"]


def test_password_comes_from_the_environment_or_a_file(good, tmp_path, monkeypatch):
    connection = mapping.load(good).connection
    with pytest.raises(databases.PasswordUnavailable, match="environment variable HIS_PASSWORD"):
        connection.sqlalchemy_url()
    monkeypatch.setenv("HIS_PASSWORD", "s3cret")
    assert connection.sqlalchemy_url().password == "s3cret"
    secret = tmp_path / "his.secret"
    secret.write_text("from-file\n")
    edit(good, "password_env: HIS_PASSWORD", f"password_file: {secret}")
    assert mapping.load(good).connection.sqlalchemy_url().password == "from-file"


def test_problems_name_line_and_field(good):
    edit(good, "  patient:\n    key: [card_no]", "  patients:\n    key: [card_number]")
    edit(good, "  drug:\n    key: [code]", "  drug:\n    key: [code]\n    on_invalid_row: ignore")
    edit(good, "watermark: his_modified", "watermark: his modified")
    found = lines(good)
    assert "11: entities: no query for the canonical entity 'patient' (Patient master index)" in found
    assert "12: entities.patients: unknown canonical entity 'patients'; did you mean 'patient'?" in found
    assert any(line.startswith("14: entities.patients.watermark: 'his modified' is not a plain") for line in found)
    drug = good.read_text().splitlines().index("    on_invalid_row: ignore") + 1
    assert f"{drug}: entities.drug.on_invalid_row: Input should be 'fail' or 'skip'" in found


def test_key_must_be_canonical_fields_and_query_one_select(good):
    edit(good, "    key: [code]", "    key: [kode]")
    edit(good, "      SELECT \"DEPT_CODE\"", "      DELETE FROM x; SELECT \"DEPT_CODE\"")
    found = lines(good)
    assert "23: entities.department.key[0]: 'kode' is not a field of department; did you mean 'code'?" in found
    assert "25: entities.department.query: a query is one SELECT (or WITH … SELECT) statement" in found


def test_merge_back_statements_use_record_fields(good):
    edit(good, ":visit_no, :card_no, :schedule_id", ":visit_no, :patient_card, :schedule_id")
    edit(good, "  dispensing:\n    statements:", "  dispensing:\n    staging_table: LIFELINE_STG_DISPENSE\n"
         "    columns: {presc_no: PRESC_NO}\n    statements:")
    found = lines(good)
    assert any("merge_back.registration.statements[0]: parameter :patient_card is not a field of the "
               "registration record" in line for line in found)
    assert any("merge_back.dispensing: give either statements or staging_table" in line for line in found)
    assert any("merge_back.dispensing.columns: required field(s) of the dispensing record without a column: "
               "event_id, station, operator_code, recorded_at, pharmacy_code, drug_code, quantity" in line
               for line in found)


def test_not_yaml_and_unknown_database(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nentities: [\n")
    assert lines(bad)[0].startswith("3: yaml: not valid YAML")
    bad.write_text("version: 1\nhis: x\nconnection:\n  url: db2://his/x\nentities: {}\n")
    assert "4: connection.url: unsupported database 'db2'; use one of postgresql, mysql, mariadb, mssql, " \
           "oracle, sqlite" in lines(bad)


def test_his_check_command_exits_non_zero_on_problems(good, capsys):
    call_command("his", "check", str(good))
    assert "no problems" in capsys.readouterr().out
    edit(good, "lifeline@his", "lifeline:pw@his")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("his", "check", str(good))
    assert "7: connection.url: a password never goes" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["postgres://lifeline@his.example:5432/his",
                                 "postgres+psycopg://lifeline@his.example:5432/his"])
def test_postgres_urls_are_accepted_as_postgresql(good, url, monkeypatch):
    """The README writes Lifeline's own database as postgres://; a mapping takes it too."""
    edit(good, "postgresql+psycopg://lifeline@his.example:5432/his", url)
    assert lines(good) == []
    connection = mapping.load(good).connection
    assert connection.url == url  # the file is not rewritten
    monkeypatch.setenv("HIS_PASSWORD", "s3cret")
    assert connection.sqlalchemy_url().get_backend_name() == "postgresql"
    assert databases.with_driver(databases.canonical_url(make_url(url))).drivername.startswith("postgresql")
    assert demo_his.mapping_text(url).count("url: postgresql") == 1
