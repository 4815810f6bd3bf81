"""The week being written: the calendar grid fills in post by post as the runner reports each one."""

from __future__ import annotations

import itertools

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import _progress, common
from pipelines.canvas import Canvas
from pipelines.content import WeekPackage
from pipelines.engines.base import Result, Task, TaskKind
from pipelines.engines.llm.briefs import post_briefs
from pipelines.engines.template import TemplateEngine
from pipelines.tasks import generate_week
from tests.app.conftest import stored_week

WEEK = "app_pages/week.py"


class PostByPost:
    """An engine that writes the calendar one planned post at a time, as the LLM engine does;
    each post's words are the template engine's, everything else is the template engine."""

    name = "post-by-post"

    def __init__(self, canvas: Canvas) -> None:
        self.template = TemplateEngine(seed=0)
        week = generate_week(canvas, self.template)
        self.posts = {p.id: p for p in week.calendar.posts}

    def plan_posts(self, canvas: Canvas):
        return post_briefs(canvas, 0)

    def cache_key(self, task: Task) -> str:
        return f"post-by-post/{task.input_hash()}"

    async def generate(self, task: Task) -> Result:
        if task.kind is TaskKind.POST:
            return Result(output=self.posts[task.item_id])
        return await self.template.generate(task)


@pytest.fixture
def grids(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The post ids of every grid the week page draws while it generates (the real grid is
    still drawn)."""
    drawn: list[list[str]] = []
    real = _progress.writing_grid

    def recording(canvas, posts) -> None:
        posts = list(posts)
        drawn.append([p.id for p in _progress.ordered(posts)])
        real(canvas, posts)

    monkeypatch.setattr(_progress, "writing_grid", recording)
    return drawn


def generate(at: AppTest) -> None:
    next(b for b in at.button if "生成本周内容" in b.label).click().run()


def test_with_a_post_by_post_engine_the_grid_fills_in_one_post_at_a_time(
    app, canvas: Canvas, grids, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = PostByPost(canvas)
    monkeypatch.setattr(common, "get_engine", lambda settings: engine)
    at = app(WEEK, canvas=canvas)
    generate(at)
    assert not at.exception
    package: WeekPackage = stored_week(at)
    assert package.complete and package.engine == "post-by-post"
    posts = {p.id for p in package.calendar.posts}
    sizes = [len(ids) for ids in grids]
    assert sizes[: len(posts)] == list(range(1, len(posts) + 1))  # one more card each time
    assert all(set(a) <= set(b) for a, b in itertools.pairwise(grids))  # nothing disappears
    assert set(grids[-1]) == posts


def test_with_the_template_engine_the_grid_is_drawn_when_the_calendar_is_written(
    app, engine, canvas: Canvas, grids
) -> None:
    at = app(WEEK, canvas=canvas)
    generate(at)
    assert not at.exception
    assert [set(ids) for ids in grids] == [{p.id for p in stored_week(at).calendar.posts}]


def _grid(canvas, posts) -> None:  # run as its own script: no annotations from this module
    from app_pages._progress import writing_grid

    writing_grid(canvas, posts)


def test_the_grid_puts_each_written_post_under_its_day_in_time_order(week: WeekPackage) -> None:
    posts = [*week.calendar.day(3)[::-1], week.calendar.day(1)[0]]  # finished out of order
    at = AppTest.from_function(_grid, args=(week.canvas, posts)).run()
    assert not at.exception
    assert f"已写好 {len(posts)} 条帖子" in at.caption[0].value
    columns = at.columns
    assert len(columns) == 7
    for day, column in enumerate(columns, start=1):
        shown = [m.value for m in column.markdown]
        assert shown[0] == f"**{common.day_label(week.canvas, day)}**"
        expected = sorted((p for p in posts if p.day == day), key=lambda p: p.time)
        assert len(shown) - 1 == len(expected)
        for text, post in zip(shown[1:], expected, strict=True):
            assert text.startswith(":") and f"{post.time} {post.channel.value}]" in text
            assert common.md_escape(post.title[:15]) in text


def test_a_title_with_markdown_in_it_is_shown_as_text(week: WeekPackage) -> None:
    post = week.calendar.day(1)[0].model_copy(update={"title": "**粗体**<b>x</b>"})
    at = AppTest.from_function(_grid, args=(week.canvas, [post])).run()
    card = at.columns[0].markdown[1].value
    assert "\\*\\*粗体\\*\\*\\<b\\>x\\</b\\>" in card
