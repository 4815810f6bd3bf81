"""Streamlit's own English words stay off the pages where Streamlit lets us say them ourselves:
every select box and multiselect carries a Chinese placeholder (never "Choose an option" /
"Choose options"), no multiselect offers the English "Select all" entry, every uploader has our
own label and a Chinese caption with its types and size limit, and the uploader CSS is sent."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from app_pages._style import UPLOADER_CSS
from pipelines.content import WeekPackage

ENGLISH = re.compile(r"[A-Za-z]")
PAGES = [
    "app_pages/canvas.py",
    "app_pages/week.py",
    "app_pages/review.py",
    "app_pages/posters.py",
    "app_pages/export.py",
    "app_pages/settings.py",
    "app_pages/livestream.py",
    "app_pages/fabe.py",
    "app_pages/campaigns.py",
]


def choosers(at: AppTest) -> list:
    return [*at.selectbox, *at.multiselect]


def assert_own_words(at: AppTest, page: str) -> None:
    assert not at.exception, page
    for widget in choosers(at):
        placeholder = widget.proto.placeholder
        assert placeholder.strip() and not ENGLISH.search(placeholder), (page, widget.label)
    for widget in at.multiselect:
        assert widget.proto.select_all == 0, (page, widget.label)  # no "Select all" entry


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_own_choosers_never_show_an_english_placeholder(
    app, week: WeekPackage, page: str
) -> None:
    at = app(page, package=week, canvas=week.canvas)
    assert_own_words(at, page)


def test_the_canvas_form_with_an_empty_draft_and_the_post_detail_too(app, week) -> None:
    at = app()  # the empty canvas form: every select box and multiselect is empty here
    assert choosers(at), "the empty canvas form has choosers"
    assert_own_words(at, "canvas (empty)")
    assert {w.proto.placeholder for w in at.multiselect} >= {"请选择（可多选）"}

    post = week.calendar.posts[0]
    at = app("app_pages/week.py", package=week, canvas=week.canvas, selected_post=post.id)
    assert any(w.label == "日期" for w in at.selectbox)  # the post's 改日期和时间
    assert_own_words(at, "week (post detail)")


def test_every_uploader_has_our_label_and_a_chinese_caption_of_its_limits(app) -> None:
    at = app()
    uploaders = at.get("file_uploader")
    assert {u.proto.label for u in uploaders} >= {
        "导入画布文件（TOML / JSON）",
        "导入商品表（XLSX / CSV）",
    }
    assert all(u.proto.max_upload_size_mb == 20 for u in uploaders[:2])
    captions = [c.value for c in at.caption]
    assert any("支持 TOML、JSON，单个文件不超过 20 MB" in c for c in captions), captions
    assert any("支持 XLSX、CSV，单个文件不超过 20 MB" in c for c in captions), captions
    assert all(
        u.proto.help and not ENGLISH.search(u.proto.help.replace("TOML", "").replace("JSON", ""))
        for u in uploaders
    )
    html = [h.proto.body for h in at.get("html")]
    assert UPLOADER_CSS in html  # the rule that shows 选择文件 instead of "Upload"
    assert 'content: "选择文件"' in UPLOADER_CSS and "Instructions" in UPLOADER_CSS
