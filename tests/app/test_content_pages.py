"""Posters, livestream and FABE pages render a generated week and keep edits."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from app_pages import common
from pipelines.canvas import load_canvas
from pipelines.content import WeekPackage
from pipelines.engines.template import TemplateEngine
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.tasks import generate_week
from tests.app.conftest import stored_week

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"

PAGES = ["app_pages/posters.py", "app_pages/livestream.py", "app_pages/fabe.py"]


@pytest.mark.parametrize("page", PAGES)
def test_each_content_page_asks_for_a_week_first(app, page: str) -> None:
    at = app(page)
    assert not at.exception
    assert "本周内容还没有生成" in at.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_each_content_page_renders_a_generated_week(app, week: WeekPackage, page: str) -> None:
    at = app(page, canvas=week.canvas, package=week)
    assert not at.exception
    assert not at.error
    assert at.download_button


def test_the_posters_page_shows_every_poster_image(app, week: WeekPackage) -> None:
    at = app("app_pages/posters.py", canvas=week.canvas, package=week)
    assert len(at.image) == len(week.posters)
    assert len([b for b in at.selectbox if b.label == "版式"]) == len(week.posters)


def test_the_posters_zip_holds_one_png_per_poster(week: WeekPackage) -> None:
    from app_pages._posters import posters_zip
    from pipelines.poster import layout_for

    layouts = {copy.id: layout_for(copy, i) for i, copy in enumerate(week.posters)}
    archive = zipfile.ZipFile(io.BytesIO(posters_zip(week, layouts)))
    assert sorted(archive.namelist()) == sorted(f"posters/{c.id}.png" for c in week.posters)
    assert all(archive.read(name)[:8] == b"\x89PNG\r\n\x1a\n" for name in archive.namelist())


def test_editing_a_poster_headline_re_renders_it(app, week: WeekPackage) -> None:
    at = app("app_pages/posters.py", canvas=week.canvas, package=week)
    first = week.posters[0]
    next(t for t in at.text_input if t.label.startswith("主标题")).set_value("暖锅季开团啦")
    next(b for b in at.button if b.label == "保存并重新渲染").click().run()
    assert not at.exception
    assert stored_week(at).item(first.id).headline == "暖锅季开团啦"


def test_choosing_a_layout_is_kept_for_that_poster(app, week: WeekPackage) -> None:
    from pipelines.poster import list_layouts

    at = app("app_pages/posters.py", canvas=week.canvas, package=week)
    first = week.posters[0]
    box = at.selectbox(key=f"layout.{first.id}")
    other = next(name for name in list_layouts() if name != box.value)
    box.select(other).run()
    assert not at.exception and not at.error
    stored = open_store(load_settings()).item(f"{at.session_state[common.CAMPAIGN]}/{first.id}")
    assert stored.layout == other and stored.has_poster_png  # the export ships this image
    at.switch_page("app_pages/fabe.py").run()
    at.switch_page("app_pages/posters.py").run()
    assert at.selectbox(key=f"layout.{first.id}").value == other


def test_a_week_without_a_live_says_so_on_the_livestream_page(app) -> None:
    canvas = load_canvas(EXAMPLES / "fresh_groupbuy.toml")
    week = generate_week(canvas, TemplateEngine(seed=0))
    at = app("app_pages/livestream.py", canvas=canvas, package=week)
    assert not at.exception and not at.error
    assert "没有安排直播" in at.info[0].value


def test_the_livestream_timeline_covers_every_block(app, week: WeekPackage) -> None:
    at = app("app_pages/livestream.py", canvas=week.canvas, package=week)
    blocks = sum(len(act.blocks) for act in week.livestream.acts)
    assert len(at.dataframe[0].value) == blocks
    assert at.dataframe[0].value["开始"].iloc[0] == week.livestream.start_time


def test_editing_a_script_line_changes_the_stored_script(app, week: WeekPackage) -> None:
    at = app("app_pages/livestream.py", canvas=week.canvas, package=week)
    editor = at.data_editor[0]
    assert len(editor.value) == sum(len(b.lines) for a in week.livestream.acts for b in a.blocks)
    at.session_state[editor.key] = {
        "edited_rows": {0: {"台词": "家人们晚上好，欢迎来到邻里鲜直播间！"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "保存台词").click().run()
    assert not at.exception
    script = stored_week(at).livestream
    assert script.acts[0].blocks[0].lines[0].words == "家人们晚上好，欢迎来到邻里鲜直播间！"


def test_the_fabe_table_crosses_products_personas_and_scenes(app, week: WeekPackage) -> None:
    at = app("app_pages/fabe.py", canvas=week.canvas, package=week)
    canvas = week.canvas
    table = at.dataframe[-1].value
    assert len(table) == len(canvas.products) * len(canvas.personas) * len(canvas.scenes)
    assert set(table["商品"]) == {p.name for p in canvas.products}


def test_the_livestream_page_has_no_literal_markdown_and_copyable_blocks(app, week) -> None:
    at = app("app_pages/livestream.py", canvas=week.canvas, package=week)
    assert not at.exception
    shown = [m.value for m in at.markdown]
    heads = [m for m in shown if m.endswith("分钟")]
    assert heads and not [m for m in heads if m.startswith("** ") or " **" in m]
    first = week.livestream.segments[0].steps[0]
    assert any(f"**{first.title}**" in m for m in shown)
    line = first.lines[0]
    assert any(f"{line.speaker}：{line.words}" in c.value for c in at.code)


def test_the_livestream_docx_has_a_run_of_show_with_clock_times(week) -> None:
    import io

    from docx import Document

    from pipelines.export.documents import block_times, livestream_docx

    script = week.livestream
    document = Document(io.BytesIO(livestream_docx(script, brand="邻里鲜")))
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][:5] == ["时间", "分钟", "幕", "环节", "发言角色"]
    first = table.rows[1].cells
    assert first[0].text.startswith(script.start_time) and first[1].text.isdigit()
    assert len(table.rows) == 1 + sum(len(a.blocks) for a in script.acts)
    texts = [p.text for p in document.paragraphs]
    assert texts.index("流程总表") < texts.index("单品脚本") < texts.index("逐字稿")
    assert f"{block_times(script)[1][0]}–{block_times(script)[1][1]}" in " ".join(texts)
    assert not any("**" in t for t in texts)
