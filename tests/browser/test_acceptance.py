"""What a person on duty does first, in a real headless Chromium against a live server."""
import io
import re

import pytest
from pypdf import PdfReader

from lifeline.accounts.roles import Role
from lifeline.plans import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED_003 = "总医院信息系统应急方案"


@pytest.fixture
def seed_003_loaded(db):
    path = next(p for p in services.bundled_paths() if p.name.startswith("003_"))
    services.load_files([path])


def test_duty_officer_opens_seed_003_sees_cashier_card_and_downloads_the_binder(
        page, live_server, login, make_user, seed_003_loaded):
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei", next_path="/plans/")

    page.get_by_role("link", name=SEED_003).click()
    assert page.locator("h1").inner_text() == SEED_003
    scenarios = page.locator("a[href*='/scenarios/']")
    assert scenarios.filter(has_text="数据库服务器集群单台故障").count() == 1
    assert scenarios.filter(has_text="门诊应急服务器").count() >= 1

    with page.expect_navigation():
        page.locator("a[href$='/duty-cards/']").first.click()
    cashier = page.get_by_role("heading", name="收费处")
    assert cashier.is_visible()
    assert "应急系统切换前后收款分开" in page.content()

    page.go_back()
    with page.expect_download() as download_info:
        page.locator("a[href$='binder.pdf']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert SEED_003 in text and "收费处" in text and "手工挂号单" in text


def test_anonymous_is_sent_to_login_and_department_staff_cannot_reach_admin(
        page, live_server, login, make_user, seed_003_loaded):
    page.goto(f"{live_server.url}/plans/general_hospital_his/")
    assert re.search(r"/accounts/login/\?next=/plans/general_hospital_his/$", page.url)
    assert page.locator("#id_username").is_visible()

    make_user("huangli", Role.DEPARTMENT)
    login(page, "huangli")
    assert page.locator("a[href='/admin/']").count() == 0  # no admin link for department staff
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/login/" in page.url  # the admin site refuses and asks for another account
    assert page.locator("#site-name").count() == 1 and page.locator("#content-main .app-auth").count() == 0
