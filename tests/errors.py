"""Reading the API's one error shape in tests."""


def problems(response) -> dict[str, str]:
    """The answer's {"errors": [{"field", "message"}]} as {field: message}; fails on any other shape."""
    body = response.json()
    assert set(body) == {"errors"}, body
    return {e["field"]: e["message"] for e in body["errors"]}
