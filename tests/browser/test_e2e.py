"""One operator's sitting in a real browser: example canvas → week → post → posters ZIP."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bench.browser import generate_week, go_to, load_example, open_app, open_first_post

pytestmark = pytest.mark.browser


def test_an_operator_goes_from_an_example_canvas_to_a_week_of_posters(
    page, server: str, tmp_path: Path
) -> None:
    open_app(page, server)
    load_example(page)

    go_to(page, "一周日历")
    generate_week(page)
    page.get_by_text("生成完成").wait_for()
    days = page.locator("[data-testid=stColumn]").filter(has_text="周一")
    assert days.count() >= 1
    posts = page.locator("[class*='st-key-open-post-']")
    assert posts.count() >= 28
    page.screenshot(path=tmp_path / "week.png", full_page=True)

    open_first_post(page)
    assert page.get_by_role("button", name="保存修改").is_visible()

    go_to(page, "海报")
    images = page.locator("[data-testid=stImage] img")
    images.first.wait_for()
    assert images.first.evaluate("img => img.complete && img.naturalWidth > 0")
    shown = images.count()
    assert shown >= 1

    with page.expect_download() as download:
        page.get_by_role("button", name="下载全部海报（ZIP）").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    names = zipfile.ZipFile(saved).namelist()
    assert len(names) == shown
    assert all(name.startswith("posters/poster-post-d") and name.endswith(".png") for name in names)
    page.screenshot(path=tmp_path / "posters.png", full_page=True)
