"""The check every SQL text written by people (a HIS mapping's queries, an SQL probe's query)
passes before Lifeline runs it against an outside database: one SELECT statement, nothing else.

    one_select(" SELECT count(*) FROM visit; ")  -> "SELECT count(*) FROM visit"
    one_select("DELETE FROM visit")              -> ValueError

It is a guard against mistakes (a pasted script, a second statement after a semicolon), not a
sandbox: the database account Lifeline reads with should be allowed to read only.
"""
import re

_SELECT = re.compile(r"^\s*(SELECT|WITH)\b", re.IGNORECASE)
REASON = "a query is one SELECT (or WITH … SELECT) statement"


def one_select(text: str) -> str:
    """The statement without surrounding blanks and trailing semicolons; ValueError (which a
    pydantic validator reports under its field) when it is not one SELECT or WITH … SELECT."""
    body = text.strip().rstrip(";")
    if not _SELECT.match(body) or ";" in body:
        raise ValueError(REASON)
    return body
