"""The one SELECT-only check that HIS mapping queries and SQL probes share."""
import pytest

from lifeline.core import sqlguard


@pytest.mark.parametrize("text, kept", [
    ("SELECT count(*) FROM visit", "SELECT count(*) FROM visit"),
    ("  select 1;; ", "select 1"),
    ("WITH t AS (SELECT 1 AS n) SELECT n FROM t;", "WITH t AS (SELECT 1 AS n) SELECT n FROM t"),
])
def test_one_select_is_kept_without_blanks_and_trailing_semicolons(text, kept):
    assert sqlguard.one_select(text) == kept


@pytest.mark.parametrize("text", ["DELETE FROM visit", "SELECT 1; DROP TABLE visit", "selection", "", "EXEC sp_who"])
def test_anything_else_is_refused_with_one_reason(text):
    with pytest.raises(ValueError, match="one SELECT"):
        sqlguard.one_select(text)
