"""A synthetic transaction against a local fake internet hospital: log in with the test account,
book a registration with the token and the session cookie, read it back; failures name the step."""
import json

import pytest

from lifeline.core import clock
from lifeline.detection.probes import checks
from tests.detection.probe_servers import json_answer, make_probe, serve

pytestmark = pytest.mark.django_db
PASSWORD = "test-patient-pw"


def hospital():
    booked = {}

    def login(request):
        body = json.loads(request.body)
        if (body.get("username"), body.get("password")) != ("test-patient", PASSWORD):
            return json_answer({"error": "bad login"}, 401)
        return json_answer({"data": {"token": "tk-1"}}, headers={"Set-Cookie": "session=s-1; Path=/"})

    def book(request):
        if request.headers.get("Cookie") != "session=s-1" or request.headers.get("Authorization") != "Bearer tk-1":
            return json_answer({"error": "not logged in"}, 403)
        number = f"A{len(booked) + 1:03d}"
        booked[number] = json.loads(request.body)["department"]
        return json_answer({"data": {"number": number}}, 201)

    def show(request):
        number = request.path.rsplit("/", 1)[1]
        return 200, f"<p>{number} {booked.get(number, '无此挂号')}</p>".encode(), {}

    routes = {("POST", "/api/login"): login, ("POST", "/api/registrations"): book}
    return routes, show


def steps(base):
    return {
        "variables": {"user": "test-patient"},
        "variables_env": {"password": "HOSPITAL_TEST_PASSWORD"},
        "steps": [
            {"name": "登录", "method": "POST", "url": base + "/api/login",
             "json": {"username": "${user}", "password": "${password}"}, "expect_status": [200],
             "extract": {"token": "data.token"}},
            {"name": "预约挂号", "method": "POST", "url": base + "/api/registrations",
             "headers": {"Authorization": "Bearer ${token}"}, "json": {"department": "内科"},
             "expect_status": [201], "extract": {"number": "data.number"}},
            {"name": "查看挂号", "url": base + "/registrations/${number}", "keyword": "内科"},
        ]}


def test_login_then_book_a_registration(monkeypatch):
    routes, show = hospital()
    monkeypatch.setenv("HOSPITAL_TEST_PASSWORD", PASSWORD)
    with serve(routes) as site:
        site.routes[("GET", "/registrations/A001")] = show
        probe = make_probe("互联网医院挂号", kind="synthetic", config=steps(site.url))
        reading = checks.check(probe, clock.now())
        assert reading.ok, reading.error
        assert [r.path for r in site.seen] == ["/api/login", "/api/registrations", "/registrations/A001"]
        assert json.loads(site.seen[0].body) == {"username": "test-patient", "password": PASSWORD}


def test_a_failing_step_is_named(monkeypatch):
    routes, _show = hospital()
    with serve(routes) as site:
        probe = make_probe("互联网医院挂号", kind="synthetic", config=steps(site.url))
        unset = checks.check(probe, clock.now())
        assert unset.error == "环境变量未设置（config.variables_env）：password (HOSPITAL_TEST_PASSWORD)"
        monkeypatch.setenv("HOSPITAL_TEST_PASSWORD", "wrong")
        assert checks.check(probe, clock.now()).error == "第 1 步（登录）：HTTP 401，应为 200"
        monkeypatch.setenv("HOSPITAL_TEST_PASSWORD", PASSWORD)
        # The page to read the registration back is gone.
        assert checks.check(probe, clock.now()).error == "第 3 步（查看挂号）：HTTP 404"
