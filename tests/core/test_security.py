"""HTTPS deployment and the Content-Security-Policy: secure cookies, HSTS and the proxy header under
LIFELINE_HTTPS; only the site's own scripts and styles on every page; only the banner may be framed."""
import re

import pytest

from lifeline.accounts.roles import Role
from tests.core.test_settings import settings_under

pytestmark = pytest.mark.django_db


def csp(response) -> dict:
    return {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}


def test_every_page_allows_only_its_own_scripts_and_styles(client, make_user):
    login = client.get("/accounts/login/")
    policy = csp(login)
    nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-"))
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'", nonce]
    assert policy["style-src"] == ["'self'", nonce] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and "'unsafe-inline'" not in login["Content-Security-Policy"]
    client.force_login(make_user("zhangwei", Role.DUTY))
    other = csp(client.get("/incidents/"))["script-src"][1]
    assert other != nonce  # a new nonce for every answer
    html = client.get("/status/").content.decode()
    page_nonce = csp(client.get("/status/"))["style-src"][1]
    assert re.search(r'<style nonce="[\w-]+">', html) and page_nonce.startswith("'nonce-")
    for path in ["/incidents/", "/plans/", "/people/", "/status/", "/status/manage/", "/status/wall/"]:
        body = client.get(path).content.decode()
        assert " style=\"" not in body and "onchange=" not in body and "onclick=" not in body, path
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", body), path


def test_the_nonce_in_the_header_is_the_one_in_the_page(client):
    response = client.get("/status/")
    nonce = csp(response)["style-src"][1][len("'nonce-"):-1]
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_only_the_public_banner_may_be_framed_by_the_hospitals_sites(client, settings):
    assert csp(client.get("/status/"))["frame-ancestors"] == ["'none'"]
    assert csp(client.get("/status/banner/"))["frame-ancestors"] == ["*"]
    settings.LIFELINE_FRAME_ANCESTORS = "https://www.hospital.cn https://app.hospital.cn"
    assert csp(client.get("/status/banner/"))["frame-ancestors"] == ["https://www.hospital.cn",
                                                                    "https://app.hospital.cn"]


def test_under_https_cookies_are_secure_and_hsts_is_sent(client, make_user, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    make_user("zhangwei", Role.DUTY)
    page = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert page["Strict-Transport-Security"] == "max-age=31536000"
    assert page.cookies["csrftoken"]["secure"] is True
    token = page.cookies["csrftoken"].value
    logged_in = client.post("/accounts/login/", {"username": "zhangwei", "password": "correct-horse-9",
                                                 "csrfmiddlewaretoken": token}, HTTP_X_FORWARDED_PROTO="https")
    assert logged_in.status_code == 302
    session = logged_in.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True
    language = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_X_FORWARDED_PROTO="https")
    assert language.cookies[settings.LANGUAGE_COOKIE_NAME]["secure"] is True
    # A plain-HTTP request (no proxy header) gets no HSTS: browsers ignore it there anyway.
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")


def https_settings(tmp_path, **env):
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_PROXY_SSL_HEADER, s.LIFELINE_FRAME_ANCESTORS]))")
    return settings_under(tmp_path, code=code, **env)


def test_one_setting_turns_https_on(tmp_path):
    assert https_settings(tmp_path) == [False, False, 0, None, ""]
    on = [True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"], ""]
    assert https_settings(tmp_path, LIFELINE_HTTPS="true") == on
    assert https_settings(tmp_path, LIFELINE_BASE_URL="https://lifeline.hospital.cn") == on
    off = https_settings(tmp_path, LIFELINE_BASE_URL="https://lifeline.hospital.cn", LIFELINE_HTTPS="false")
    assert off[0] is False
    assert https_settings(tmp_path, LIFELINE_FRAME_ANCESTORS="https://a.cn,https://b.cn")[4] == "https://a.cn https://b.cn"
