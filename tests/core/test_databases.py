"""The description of an outside database that the HIS mapping and SQL probes share: a URL
without password, the password from an environment variable or a secrets file."""
import pytest
from pydantic import ValidationError

from lifeline.core import databases
from lifeline.detection.probes import config


def test_a_password_in_the_url_is_refused_with_its_own_error_type():
    with pytest.raises(ValidationError) as refused:
        databases.Connection(url="postgresql://his:s3cret@db/his")
    assert refused.value.errors()[0]["type"] == databases.PASSWORD_IN_URL


def test_each_file_words_the_refusal_for_itself():
    with pytest.raises(config.ConfigInvalid) as refused:
        config.parse("sql", {"connection": {"url": "postgresql://his:s3cret@db/his"}, "query": "SELECT 1"})
    assert refused.value.problems == [("config.connection.url", databases.password_reason("a probe's settings"))]


def test_the_password_comes_from_the_environment_or_a_file(monkeypatch, tmp_path):
    connection = databases.Connection(url="postgresql://his@db/his", password_env="HIS_PASSWORD")
    with pytest.raises(databases.PasswordUnavailable, match="HIS_PASSWORD"):
        connection.sqlalchemy_url()
    monkeypatch.setenv("HIS_PASSWORD", "s3cret")
    assert connection.sqlalchemy_url().password == "s3cret"
    (tmp_path / "secret").write_text("from-file\n", encoding="utf-8")
    assert databases.Connection(url="sqlite://", password_file=str(tmp_path / "secret")).password() == "from-file"


def test_an_unsupported_database_is_named():
    with pytest.raises(ValidationError, match="unsupported database 'firebird'"):
        databases.Connection(url="firebird://his@db/his")
