"""403, 404 and 500 in the site's frame, in the hospital's language, with a way home; a favicon."""
import pytest
from django.test import RequestFactory
from django.views import defaults

from lifeline.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_404_is_the_sites_page_in_chinese_with_a_link_home(client, make_user):
    client.force_login(make_user("zhangwei", Role.DUTY))
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in html and "没有这个页面" in html and "返回首页" in html
    assert 'rel="icon"' in html and "Not Found" not in html


def test_403_says_the_role_may_not_and_links_home(client, make_user):
    client.force_login(make_user("zhaomin", Role.DEPARTMENT))
    response = client.get("/incidents/board/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "您的角色无权打开此页面" in html and "返回首页" in html and 'class="topbar"' in html


def test_500_renders_without_a_request_context():
    """Django renders 500.html with an empty context: no user, no request, no processors."""
    response = defaults.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务器出了问题" in html and 'href="/"' in html and "Server Error" not in html


def test_the_favicon_is_served(client):
    from django.contrib.staticfiles import finders

    assert finders.find("lifeline/favicon.svg")


def test_a_refusal_on_a_page_reads_without_field_keys():
    from django.utils import translation

    from lifeline.core.errors import Refused

    refused = Refused.of([("title", "请填写事件标题"), ("users_pct", "须在 0 到 100 之间")])
    assert str(refused) == "title: 请填写事件标题; users_pct: 须在 0 到 100 之间"  # logs, CLI
    with translation.override("zh-hans"):
        assert refused.for_people() == "请填写事件标题；须在 0 到 100 之间"


def test_a_failed_delivery_reads_as_a_sentence_with_the_raw_error_behind_details():
    from django.template import Context, Template
    from django.utils import translation

    error = ("HTTPSConnectionPool(host='qyapi.weixin.qq.com', port=443): Max retries exceeded with url: /cgi-bin "
             "(Caused by NameResolutionError(\"Failed to resolve 'qyapi.weixin.qq.com'\"))")
    with translation.override("zh-hans"):
        html = Template("{% load delivery_words %}{{ 'wecom'|channel_name }} {% failure error %}").render(
            Context({"error": error}))
    assert html.startswith("企业微信 ") and "未送达：找不到发送服务的地址（域名解析失败）。" in html
    assert '<details class="raw-error"><summary>详情</summary>' in html and "Max retries exceeded" in html
