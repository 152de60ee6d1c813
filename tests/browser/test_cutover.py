"""Issue 18's done-when in a real headless Chromium: IT on duty adds a task to a cutover's board
(on a phone, 390 px), marks it done, and the board shows it done and counts it."""
import pytest

from lifeline.accounts.roles import Role
from tests.cutover.board import go_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_adds_a_task_marks_it_done_and_the_board_updates(page, live_server, login, make_user, clock):
    cutover = go_live()
    make_user("zhangwei", Role.DUTY)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "zhangwei", next_path=f"/cutover/{cutover.pk}/")
    assert page.locator("#task-progress").inner_text() == "已完成 0 / 2 项任务"

    page.click("details.adder:has(form[action$='/tasks/']) summary")
    page.fill("#id_title", "发放正式上线切换通知")
    page.fill("#id_unit", "省公共资源交易中心")
    page.fill("#id_owner", "赵科长")
    page.fill("#id_deadline", "2022-08-20T18:00")
    page.get_by_label("数据比对", exact=True).check()
    with page.expect_navigation():
        page.click("form[action$='/tasks/'] button[type=submit]")
    task = page.locator("#tasks li[data-task='发放正式上线切换通知']")
    assert task.locator(".task-status").inner_text() == "待办"
    assert "前置: 数据比对" in task.inner_text()
    assert page.locator("#task-progress").inner_text() == "已完成 0 / 3 项任务"

    # Its dependency is not done: refused, and the board says why.
    with page.expect_navigation():
        task.locator("button[value=done]").click()
    assert "依赖的任务未完成：数据比对" in page.locator(".messages").inner_text()
    for title in ("老系统基础数据迁移", "数据比对", "发放正式上线切换通知"):
        with page.expect_navigation():
            page.locator(f"#tasks li[data-task='{title}'] button[value=done]").click()
    task = page.locator("#tasks li[data-task='发放正式上线切换通知']")
    assert task.locator(".task-status").inner_text() == "已完成"
    assert "done" in task.get_attribute("class")
    assert page.locator("#task-progress").inner_text() == "已完成 3 / 3 项任务"
    assert "发放正式上线切换通知：已完成" in page.locator("#timeline").inner_text()
    width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1]
