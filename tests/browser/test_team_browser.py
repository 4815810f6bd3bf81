"""Reviewing and planning as a team, in a real browser: ten approvals in one action, a post moved
to another day, a suggested rewrite applied, a post copied to the clipboard, a phone screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.browser import choose_option, chromium, go_to, streamlit_server, until, wait_ready
from pipelines.auth import User, UserDirectory, local_user
from pipelines.canvas import load_canvas
from pipelines.engines.template import TemplateEngine
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.store.texts import with_texts
from pipelines.tasks import generate_week

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "暖锅-2026"
OPERATOR = User("小王", "operator")
PHONE = {  # an iPhone-sized Android phone: Streamlit tells a phone by its user agent
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
}


def store(data: Path):
    return open_store(load_settings(env={}, cc_data_dir=data))


@pytest.fixture(scope="module")
def week():
    """One generated week of the example canvas (before Playwright's loop is running)."""
    canvas = load_canvas(ROOT / "assets" / "examples" / "fresh_groupbuy.toml")
    return generate_week(canvas, TemplateEngine(seed=0))


def seed(data: Path, user: User, week, seed: int = 0) -> str:
    """The week saved as a new campaign (a seed-specific name) by `user`; its id."""
    canvas = week.canvas.model_copy(update={"name": f"{week.canvas.name}{seed}"})
    opened = store(data)
    try:
        return opened.save_package(week.model_copy(update={"canvas": canvas}), user=user)
    finally:
        opened.close()


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, executable: str) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("team-review")
    users = UserDirectory.load(data / "users.toml")
    users.add("小王", "operator", PASSWORD)
    users.add("小蓝", "reviewer", PASSWORD)
    with streamlit_server(data) as url:
        yield url, data


@pytest.fixture(scope="module")
def solo(tmp_path_factory: pytest.TempPathFactory, executable: str) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("solo-review")
    with streamlit_server(data) as url:
        yield url, data


def sign_in(page, name: str) -> None:
    page.get_by_label("用户名").click()  # a click, not fill: fails if anything covers the form
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="活动画布", exact=True).wait_for()
    wait_ready(page)


def test_a_reviewer_approves_ten_items_in_one_action(week, page, team) -> None:
    url, data = team
    campaign = seed(data, OPERATOR, week, 1)
    opened = store(data)
    ten = [s for s in opened.items(campaign, kind="post") if s.clean][:10]
    for stored in ten:
        opened.submit(stored.key, user=OPERATOR)
    page.goto(url)
    wait_ready(page)
    sign_in(page, "小蓝")
    go_to(page, "审核")  # a reload would end the signed-in session
    assert campaign in page.url
    page.get_by_text("共 10 个条目").wait_for()  # a reviewer starts on what waits for them
    page.get_by_role("button", name="全选这一页 10 条").click()
    wait_ready(page)
    page.get_by_role("button", name="通过选中的 10 条").click()
    page.get_by_text("已通过 10 条").wait_for()
    wait_ready(page)
    approved = {s.key for s in opened.items(campaign, state="approved")}
    assert approved == {s.key for s in ten}
    assert {s.approved_by for s in opened.items(campaign, state="approved")} == {"小蓝"}
    page.get_by_text("没有符合筛选条件的条目").wait_for()  # the queue is empty, the counts moved


def test_a_post_is_moved_to_another_day(week, page, solo) -> None:
    url, data = solo
    campaign = seed(data, local_user(), week, 3)
    post = store(data).items(campaign, kind="post")[0]
    page.goto(f"{url}/week?campaign={campaign}")
    wait_ready(page)
    page.locator(f".st-key-open-{post.item_id}").get_by_role("button").click()
    page.get_by_role("heading", name="帖子详情").wait_for()
    wait_ready(page)
    form = page.get_by_test_id("stForm").filter(has_text="改日期和时间")
    choose_option(page, form.get_by_role("combobox"), page.get_by_role("option").nth(3))
    form.get_by_label("时间（HH:MM）").fill("21:15")
    form.get_by_role("button", name="改期").click()
    page.get_by_text("已改到").wait_for()
    wait_ready(page)
    moved = until(lambda: store(data).item(post.key).item, lambda p: p.day == 4, page)
    assert moved.time == "21:15"


def test_a_suggested_rewrite_is_applied(week, page, solo) -> None:
    url, data = solo
    campaign = seed(data, local_user(), week, 4)
    opened = store(data)
    target = opened.items(campaign, kind="post")[1]
    body = "这是全网最低价。" + target.item.body
    opened.edit_item(
        target.key, with_texts(target.item, {"body": body}), user=local_user(),
        expected_version=target.version,
    )  # fmt: skip
    page.goto(f"{url}/review?campaign={campaign}")
    wait_ready(page)
    page.locator(f".st-key-row-{target.item_id}").get_by_role("button", name="详情").click()
    wait_ready(page)
    card = page.locator(f"[class*='st-key-finding-review-{target.item_id}-']").first
    card.get_by_text("本周活动价").first.wait_for()
    card.get_by_role("button", name="应用改写").click()
    page.get_by_text("已把「全网最低价」改为「本周活动价」").wait_for()
    assert opened.item(target.key).item.body == "这是本周活动价。" + target.item.body
    assert opened.item(target.key).version == target.version + 2


def test_a_post_is_copied_to_the_clipboard(week, page, solo) -> None:
    url, data = solo
    campaign = seed(data, local_user(), week, 5)
    post = store(data).items(campaign, kind="post")[2]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page.goto(f"{url}/week?campaign={campaign}")
    wait_ready(page)
    page.locator(f".st-key-open-{post.item_id}").get_by_role("button").click()
    page.get_by_role("heading", name="帖子详情").wait_for()
    wait_ready(page)
    block = page.get_by_test_id("stCode").filter(has_text=post.item.body[:12]).first
    block.hover()
    block.get_by_role("button").first.click()
    copied = until(lambda: page.evaluate("navigator.clipboard.readText()"), bool, page)
    assert copied.strip() == post.item.body


def test_on_a_phone_the_sidebar_stays_out_of_the_way(team, executable, tmp_path) -> None:
    url, _ = team
    with chromium(tmp_path / "phone", executable, **PHONE) as context:
        phone = context.new_page()
        phone.set_default_timeout(30_000)
        phone.goto(url)
        wait_ready(phone)
        sidebar = phone.get_by_test_id("stSidebar")
        assert sidebar.get_attribute("data-collapsed") == "true"
        sign_in(phone, "小王")
        assert sidebar.get_attribute("data-collapsed") == "true"
        phone.get_by_test_id("stExpandSidebarButton").click()
        phone.get_by_test_id("stSidebarNav").get_by_text("审核", exact=True).click()
        phone.get_by_role("heading", name="审核", exact=True).wait_for()
        wait_ready(phone)
        until(lambda: sidebar.get_attribute("data-collapsed"), lambda v: v == "true", phone)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 400  # nothing wider than the phone
        phone.screenshot(path=ROOT / "test-output" / "browser" / "phone.png", full_page=True)
