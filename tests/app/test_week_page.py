"""The week page: generate with progress, the 7-day grid, open/edit/regenerate one post."""

from __future__ import annotations

from app_pages import common
from pipelines.canvas import Canvas
from pipelines.content import WeekPackage
from pipelines.engines.base import TaskKind
from pipelines.errors import EngineError
from tests.app.conftest import stored_week

WEEK = "app_pages/week.py"


def generate(at) -> None:
    next(b for b in at.button if "生成本周内容" in b.label).click().run()


def test_without_a_canvas_the_week_page_points_to_the_canvas_page(app) -> None:
    at = app(WEEK)
    assert not at.exception
    assert "还没有活动画布" in at.info[0].value


def test_generating_fills_the_week_and_shows_the_calendar(app, engine, canvas: Canvas) -> None:
    at = app(WEEK, canvas=canvas)
    generate(at)
    assert not at.exception
    package: WeekPackage = stored_week(at)
    assert package is not None and package.complete
    post_buttons = [b for b in at.button if b.key and b.key.startswith("open.")]
    assert len(post_buttons) == len(package.calendar.posts)
    assert at.success[0].value.startswith("生成完成")
    assert {m.label for m in at.metric} >= {"帖子", "海报"}


def test_the_generated_week_reaches_the_review_queue(app, engine, canvas: Canvas) -> None:
    from pipelines.settings import load_settings
    from pipelines.store import open_store

    at = app(WEEK, canvas=canvas)
    generate(at)
    package = stored_week(at)
    stored = open_store(load_settings()).items(at.session_state[common.CAMPAIGN])
    assert {s.item_id for s in stored} == {item.id for item in package.items()}


def test_reruns_and_page_switches_never_call_the_engine_again(app, engine, canvas: Canvas) -> None:
    at = app(WEEK, canvas=canvas)
    generate(at)
    calls = len(engine.history)
    at.run()
    at.switch_page("app_pages/fabe.py").run()
    at.switch_page(WEEK).run()
    assert len(engine.history) == calls
    assert stored_week(at) is not None
    assert [b for b in at.button if b.key and b.key.startswith("open.")]


def test_a_failed_task_shows_its_chinese_error_and_the_rest_stays_usable(
    app, engine, live_canvas: Canvas
) -> None:
    engine.enqueue(TaskKind.LIVESTREAM, EngineError("模型服务超时，请稍后再试"))
    at = app(WEEK, canvas=live_canvas)
    generate(at)
    assert any("livestream" in e.value and "模型服务超时" in e.value for e in at.error)
    assert stored_week(at).calendar is not None
    at.switch_page("app_pages/livestream.py").run()
    assert "直播脚本没有生成成功" in at.warning[0].value


def open_first_post(at) -> str:
    first = next(b for b in at.button if b.key and b.key.startswith("open."))
    first.click().run()
    return first.key.removeprefix("open.")


def test_clicking_a_post_opens_its_full_copy(app, week: WeekPackage) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    post_id = open_first_post(at)
    post = week.item(post_id)
    assert at.subheader[0].value == f"帖子详情 · {post_id}"
    assert next(t for t in at.text_area if t.label == "文案").value == post.body


def test_editing_a_post_changes_the_stored_item(app, week: WeekPackage) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    post_id = open_first_post(at)
    next(t for t in at.text_input if t.label == "标题").set_value("周一早安：今天的菜到了")
    next(b for b in at.button if b.label == "保存修改").click().run()
    assert not at.exception
    assert stored_week(at).item(post_id).title == "周一早安：今天的菜到了"
    assert "已保存" in at.success[0].value


def test_an_edit_that_breaks_a_rule_is_refused_in_chinese(app, week: WeekPackage) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    post_id = open_first_post(at)
    taken = next(p.title for p in week.calendar.posts if p.id != post_id)
    next(t for t in at.text_input if t.label == "标题").set_value(taken)
    next(b for b in at.button if b.label == "保存修改").click().run()
    assert any("标题重复" in e.value for e in at.error)
    assert stored_week(at).item(post_id).title != taken


def test_regenerating_one_post_makes_exactly_one_engine_call(
    app, engine, week: WeekPackage
) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    post_id = open_first_post(at)
    at.button(key=f"regen.{post_id}").click().run()
    assert not at.exception
    assert [t.item_id for t in engine.history] == [post_id]
    assert [t.variant for t in engine.history] == [1]  # the variant counts stored versions
    at.button(key=f"regen.{post_id}").click().run()
    assert [t.variant for t in engine.history] == [1, 2]


def test_editing_the_table_changes_the_post(app, week: WeekPackage) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    assert not at.data_editor  # only the open view runs
    at.session_state["week_view"] = "表格视图（可编辑）"
    at.run()
    editor = at.data_editor[0]
    at.session_state[editor.key] = {
        "edited_rows": {0: {"body": "今天的菜已经到自提点，下班顺路来拿。"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    first = sorted(week.calendar.posts, key=lambda p: (p.day, p.time))[0]
    assert stored_week(at).item(first.id).body == "今天的菜已经到自提点，下班顺路来拿。"


def test_a_canvas_changed_after_generation_is_flagged(app, week: WeekPackage) -> None:
    changed = week.canvas.model_copy(update={"name": "邻里鲜跨年团"})
    at = app(WEEK, canvas=changed, package=week)
    assert "画布改过了" in at.warning[0].value
    assert next(b for b in at.button if b.key == "generate").label == "重新生成本周内容"


def test_the_calendar_can_show_one_channel_only(app, week: WeekPackage) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    at.session_state["week_channels"] = ["朋友圈"]
    at.run()
    shown = [b.key.removeprefix("open.") for b in at.button if b.key and b.key.startswith("open.")]
    expected = [p.id for p in week.calendar.posts if p.channel.value == "朋友圈"]
    assert sorted(shown) == sorted(expected) and expected


def test_the_calendar_cards_show_channel_colour_and_review_state(app, week: WeekPackage) -> None:
    from pipelines.auth import local_user
    from pipelines.settings import load_settings
    from pipelines.store import open_store

    at = app(WEEK, canvas=week.canvas, package=week)
    first = week.calendar.day(1)[0]
    store = open_store(load_settings())
    store.submit(f"{at.session_state[common.CAMPAIGN]}/{first.id}", user=local_user())
    at.run()
    badges = " ".join(m.value for m in at.markdown)
    assert f":blue-badge[{first.time} 社群]" in badges or ":green-badge[" in badges
    assert ":blue-badge[审核中]" in badges and ":gray-badge[草稿]" in badges
    assert all(len(b.label) <= 40 for b in at.button if b.key and b.key.startswith("open."))


def test_the_day_and_list_views_open_a_post(app, week: WeekPackage) -> None:
    at = app(WEEK, canvas=week.canvas, package=week)
    at.session_state["week_view"] = "单日"
    at.run()
    at.session_state["week_day"] = 3
    at.run()
    day_three = [p.id for p in week.calendar.day(3)]
    opened = [b.key.removeprefix("day.open.") for b in at.button if b.key.startswith("day.open.")]
    assert opened == day_three
    at.button(key=f"day.open.{day_three[0]}").click().run()
    assert at.subheader[0].value == f"帖子详情 · {day_three[0]}"
    at.session_state["week_view"] = "列表（手机）"
    at.run()
    listed = [b for b in at.button if b.key.startswith("list.open.")]
    assert len(listed) == len(week.calendar.posts)


def test_a_post_detail_has_copy_blocks_a_phone_preview_and_finding_cards(
    app, week: WeekPackage
) -> None:
    post = next(p for p in week.calendar.posts if week.poster_for(p.id))
    at = app(WEEK, canvas=week.canvas, package=week, selected_post=post.id)
    codes = [c.value for c in at.code]
    assert post.body in codes  # st.code: the one-click copy button
    assert any(week.poster_for(post.id).headline in c for c in codes)
    assert [t.value for t in at.text].count(post.body) == 2  # group message and 朋友圈 card
    assert {"微信群消息预览", "朋友圈预览"} <= {t.label for t in at.tabs}


def test_applying_a_suggested_rewrite_in_the_post_detail(app, week: WeekPackage) -> None:
    from pipelines.compliance import annotate
    from pipelines.content import Finding, Post

    post = week.calendar.posts[0]
    hostile = annotate(
        post.model_copy(update={"body": "这是全网最低价。" + post.body}), week.canvas
    )
    package = week.model_copy(deep=True)
    package.calendar.posts[0] = hostile
    at = app(WEEK, canvas=week.canvas, package=package, selected_post=post.id)
    stored: Post = stored_week(at).item(post.id)
    finding: Finding = next(f for f in stored.findings if f.span == "全网最低价")
    index = stored.findings.index(finding)
    assert "**原因**：" in " ".join(m.value for m in at.markdown)
    assert any(
        t.value == "本周活动价" for t in at.text_input if t.key and t.key.startswith("fix.week.")
    )
    at.button(key=f"apply.week.{post.id}.{index}").click().run()
    assert not at.exception
    assert stored_week(at).item(post.id).body == "这是本周活动价。" + post.body
