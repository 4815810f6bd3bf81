"""Two people in a real browser: an operator submits, a reviewer signs in, approves, exports."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.browser import choose, generate_week, go_to, load_example, streamlit_server, wait_ready
from pipelines.auth import UserDirectory

pytestmark = pytest.mark.browser
PASSWORD = "暖锅-2026"


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory, executable: str) -> Iterator[str]:
    """The app with a users file (so sign-in is required) and its own empty database."""
    data = tmp_path_factory.mktemp("team-data")
    users = UserDirectory.load(data / "users.toml")
    users.add("小王", "operator", PASSWORD)
    users.add("小蓝", "reviewer", PASSWORD)
    with streamlit_server(data) as url:
        yield url


def sign_in(page, name: str) -> None:
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("stSidebar").get_by_text(f"{name}（").wait_for()
    wait_ready(page)


def sign_out(page) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("用户名").wait_for()
    wait_ready(page)


def test_an_operator_submits_and_a_reviewer_approves_and_exports(
    page, team_server: str, tmp_path: Path
) -> None:
    page.goto(team_server)
    wait_ready(page)
    sign_in(page, "小王")
    load_example(page)
    go_to(page, "一周日历")
    generate_week(page)

    go_to(page, "审核")
    choose(page, "类型", "帖子")
    page.get_by_role("button", name="提交审核").first.wait_for()
    assert page.get_by_role("button", name="通过", exact=True).count() == 0  # an operator
    submit_all = page.get_by_role("button").filter(has_text="草稿提交审核")
    submit_all.click()
    page.get_by_text("个草稿审核").first.wait_for()
    wait_ready(page)
    sign_out(page)

    sign_in(page, "小蓝")
    go_to(page, "审核")
    page.get_by_text("个条目，其中").wait_for()
    page.locator("input[aria-label^='通过']").first.fill("已核对画布")
    page.get_by_role("button", name="通过", exact=True).click()
    page.get_by_text("已通过：").wait_for()
    wait_ready(page)

    go_to(page, "导出")
    page.get_by_role("button", name="生成导出包").click()
    download_button = page.get_by_role("button").filter(has_text="下载")
    download_button.wait_for()
    with page.expect_download() as download:
        download_button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        manifest_name = next(n for n in archive.namelist() if n.endswith("manifest.json"))
        manifest = json.loads(archive.read(manifest_name))
    assert manifest["approved_only"] is True
    assert [(i["approved_by"], i["state"]) for i in manifest["items"]] == [("小蓝", "approved")]
