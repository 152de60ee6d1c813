"""A bounded schemathesis run over the whole OpenAPI document, as an administrator's token
holder, through the WSGI application: no operation answers with a server error (issue 12).

Bounded for CI: LIFELINE_FUZZ_EXAMPLES examples per operation (default 25), no deadline, no
shrinking, no example database on disk.
"""
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings

from lifeline.accounts.models import ApiToken
from lifeline.wsgi import application

EXAMPLES = int(os.environ.get("LIFELINE_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def admin_auth(db, make_user):
    admin = make_user("fuzz-admin", None)
    admin.is_superuser = admin.is_staff = True
    admin.save()
    _token, key = ApiToken.objects.issue(admin)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api_schema(admin_auth):
    # Requests run inside the test's transaction: keep Django from closing the connection
    # between them, as its own test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, headers=admin_auth)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_operation_answers_with_a_server_error(api_schema, admin_auth):
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers=admin_auth)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query or ''} {str(case.body)[:200]}: "
                                f"{response.status_code} {response.text[:300]}")

        run()
    assert operations > 40  # the whole document, not a part of it
    assert not failures, "\n".join(failures[:20])
