"""The store is the single source of truth, seen from real browsers: a reload, a second person,
a regeneration that keeps approvals, and the poster layout that ships."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from bench.browser import (
    choose,
    choose_option,
    chromium,
    generate_week,
    go_to,
    load_example,
    open_app,
    streamlit_server,
    until,
    wait_ready,
)
from pipelines.settings import load_settings
from pipelines.store import open_store

pytestmark = pytest.mark.browser
POSTS = "[class*='st-key-open-post-']"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace-data")


@pytest.fixture(scope="module")
def app_url(data: Path, executable: str) -> Iterator[str]:
    with streamlit_server(data) as url:
        yield url


@pytest.fixture(scope="module")
def campaign(app_url: str, executable: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One generated week for the module, made the way a person makes it."""
    with chromium(tmp_path_factory.mktemp("first"), executable) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_app(page, app_url)
        load_example(page)
        go_to(page, "一周日历")
        generate_week(page)
        page.get_by_text("生成完成").wait_for()
        return parse_qs(urlparse(page.url).query)["campaign"][0]


def store(data: Path):
    return open_store(load_settings(env={}, cc_data_dir=data))


def test_a_reload_shows_the_same_calendar(page, app_url: str, campaign: str) -> None:
    page.goto(f"{app_url}/week?campaign={campaign}")
    wait_ready(page)
    page.locator(POSTS).first.wait_for()
    before = page.locator(POSTS).count()
    page.reload()
    wait_ready(page)
    page.locator(POSTS).first.wait_for()
    assert page.locator(POSTS).count() == before >= 28
    assert "还没有活动画布" not in page.content()


def test_a_second_person_sees_the_approval_and_a_regeneration_keeps_it(
    app_url: str, campaign: str, data: Path, executable: str, tmp_path: Path
) -> None:
    with chromium(tmp_path / "reviewer", executable) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{app_url}/review?campaign={campaign}")
        wait_ready(page)
        choose(page, "状态", "草稿")
        page.get_by_role("button").filter(has_text="草稿提交审核").click()
        page.get_by_text("个草稿审核").first.wait_for()
        wait_ready(page)
        choose(page, "状态", "审核中")
        page.get_by_role("button", name="通过", exact=True).click()
        page.get_by_text("已通过：").wait_for()
        wait_ready(page)
    approved = [s.key for s in store(data).items(campaign, state="approved")]
    assert len(approved) == 1

    # Another person in another browser profile: nothing of the first session but the link.
    with chromium(tmp_path / "operator", executable) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{app_url}/review?campaign={campaign}")
        wait_ready(page)
        choose(page, "状态", "已通过")
        page.get_by_text("共 1 个条目").wait_for()

        page.goto(f"{app_url}/week?campaign={campaign}")
        wait_ready(page)
        page.get_by_role("button", name="重新生成本周内容").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("1 条已通过").wait_for()
        dialog.get_by_role("button", name="保留并重新生成").click()
        page.get_by_text("已通过和手改过的条目都保留了").wait_for()
    assert store(data).item(approved[0]).state == "approved"


def test_the_chosen_layout_is_the_exported_one(
    page, app_url: str, campaign: str, data: Path, tmp_path: Path
) -> None:
    page.goto(f"{app_url}/posters?campaign={campaign}")
    wait_ready(page)
    first = store(data).items(campaign, kind="poster_copy")[0]
    box = page.locator(f".st-key-layout-{first.item_id}")
    option = page.get_by_role("option", name="纸感雅致", exact=True)
    choose_option(page, box.get_by_role("combobox"), option)
    stored = until(lambda: store(data).item(first.key), lambda s: s.layout == "paper", page)
    assert stored.has_poster_png

    go_to(page, "导出")
    page.get_by_text("包含未通过的条目").click()
    wait_ready(page)
    page.get_by_role("button", name="生成导出包").click()
    with page.expect_download() as download:
        page.get_by_role("button").filter(has_text="下载").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    post_id = stored.item.post_id
    name = next(n for n in archive.namelist() if n.endswith(f"posters/{post_id}.png"))
    assert archive.read(name) == store(data).poster_png(first.key)
