"""/api/v1/docs on an intranet with no internet: the Swagger UI comes from this server (django-ninja's
bundled static files, `ninja` in INSTALLED_APPS, served by whitenoise), the operations are listed,
and not one request leaves the server (the live server, 127.0.0.1 or localhost)."""
from urllib.parse import urlsplit

import pytest

from lifeline.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_load_from_this_server_and_list_the_operations(page, live_server, login, make_user):
    server = urlsplit(live_server.url).netloc
    elsewhere, errors = [], []
    page.on("request", lambda r: elsewhere.append(r.url)
            if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != server else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    # Anything headed off the server fails at once instead of waiting for a network that is not there.
    page.route(lambda url: urlsplit(url).netloc != server, lambda route: route.abort())

    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei")
    answer = page.goto(f"{live_server.url}/api/v1/docs")
    assert answer.ok
    html = page.content()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    page.wait_for_selector(".opblock", timeout=20000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(operations) > 10
    assert any("/incidents" in path for path in operations)
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
    assert [e for e in errors if "SwaggerUIBundle" in e or "uncaught" in e] == []


def test_api_docs_assets_are_served_by_whitenoise(client):
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        answer = client.get(f"/static/{asset}")
        assert answer.status_code == 200, asset
        assert b"".join(answer.streaming_content if answer.streaming else [answer.content])
