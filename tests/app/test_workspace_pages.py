"""The store is the single source of truth: reloads, links, the campaign list, kept drafts."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app_pages import common
from pipelines.auth import local_user
from pipelines.content import WeekPackage
from pipelines.store.texts import with_texts
from tests.app.conftest import APP, TIMEOUT, store_week, stored_week

WEEK = "app_pages/week.py"
CAMPAIGNS = "app_pages/campaigns.py"


def fresh_tab(page: str, **query: str) -> AppTest:
    """A new browser session (a reload, a second tab): nothing in its session state."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    return at


def hand_edit(store, post, **changes: str) -> None:
    """Someone saves a change to `post` (a stored item) by hand, outside this session."""
    store.edit_item(post.key, with_texts(post.item, changes), user=local_user(),
                    expected_version=post.version)  # fmt: skip


def post_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("open.")]


def test_a_reload_shows_the_same_calendar_from_the_link(app, week: WeekPackage) -> None:
    at = app(WEEK, package=week)
    campaign = at.session_state[common.CAMPAIGN]
    assert at.query_params["campaign"] == campaign
    again = fresh_tab(WEEK, campaign=campaign)
    assert not again.exception
    assert post_buttons(again) == post_buttons(at) != []


def test_a_second_session_sees_an_edit_made_in_the_first(app, store, week: WeekPackage) -> None:
    at = app(WEEK, package=week)
    campaign = at.session_state[common.CAMPAIGN]
    post = store.items(campaign, kind="post")[0]
    hand_edit(store, post, title="另一位同事改的标题")
    other = fresh_tab(WEEK, campaign=campaign)
    assert any("另一位同事改的标题" in b.label for b in other.button)


def test_generating_an_unchanged_canvas_reopens_its_campaign(app, store, engine, week) -> None:
    campaign = store_week(week)
    at = app(WEEK, canvas=week.canvas)
    assert at.session_state[common.CAMPAIGN] == campaign  # found by the canvas, not created
    assert len(store.campaigns()) == 1


def test_regenerating_a_reviewed_week_asks_and_keeps_approvals_by_default(app, store, engine, week):
    at = app(WEEK, package=week)
    campaign = at.session_state[common.CAMPAIGN]
    key = store.items(campaign, kind="post")[0].key
    store.submit(key, user=local_user())
    store.approve(key, user=local_user())
    at.button(key="generate").click().run()
    assert not at.exception
    assert at.button(key="regen.keep") and at.button(key="regen.replace")
    assert "1 条已通过" in at.markdown[-1].value or any(
        "1 条已通过" in m.value for m in at.markdown
    )
    calls = len(engine.history)
    at.button(key="regen.keep").click().run()
    assert len(engine.history) > calls  # the week was written again…
    assert store.item(key).state == "approved"  # …and the approval kept
    assert any("都保留了" in s.value for s in at.success)


def test_a_draft_with_errors_is_not_generated_and_says_where(app, engine, week) -> None:
    at = app(WEEK, canvas=week.canvas, canvas_errors={("name",): "活动名称不能为空"})
    at.button(key="generate").click().run()
    assert any("画布草稿有 1 处问题" in e.value and "活动名称不能为空" in e.value for e in at.error)
    assert engine.history == []


def test_the_campaign_list_opens_renames_and_archives(app, store, week: WeekPackage) -> None:
    campaign = store_week(week)
    at = app(CAMPAIGNS)
    assert not at.exception
    assert week.canvas.name in at.markdown[0].value
    at.button(key=f"open.{campaign}").click().run()
    assert at.session_state[common.CAMPAIGN] == campaign
    at.text_input(key=f"rename.{campaign}").set_value("邻里鲜·十二月第一周")
    at.button(key=f"rename.save.{campaign}").click().run()
    assert store.campaign(campaign).name == "邻里鲜·十二月第一周"
    at.button(key=f"archive.{campaign}").click().run()
    assert store.campaigns() == []
    assert "还没有保存的活动" in at.info[0].value


def test_next_week_starts_a_new_draft_seven_days_on(app, week: WeekPackage) -> None:
    campaign = store_week(week)
    at = app(CAMPAIGNS)
    at.button(key=f"next.{campaign}").click().run()
    draft = at.session_state[common.CANVAS]
    assert (draft.week_start - week.canvas.week_start).days == 7
    assert at.session_state[common.DRAFT_OF] is None  # generating it makes a new campaign


def test_the_draft_survives_a_reload(app, week: WeekPackage) -> None:
    at = app("app_pages/canvas.py", package=week)
    common_draft = at.session_state[common.DRAFT]
    assert common_draft is not None
    again = fresh_tab("app_pages/canvas.py")
    assert again.session_state[common.DRAFT]["name"] == common_draft["name"]


def test_the_stored_week_is_what_the_pages_show(app, week: WeekPackage) -> None:
    at = app("app_pages/fabe.py", package=week)
    assert not at.exception
    assert stored_week(at).selling_points == week.selling_points


def test_regenerating_a_hand_edited_post_asks_first_and_undo_restores(
    app, store, engine, week
) -> None:
    at = app(WEEK, package=week)
    campaign = at.session_state[common.CAMPAIGN]
    post = store.items(campaign, kind="post")[0]
    hand_edit(store, post, body="我手改的文案，别覆盖")
    at.session_state[common.SELECTED_POST] = post.item_id
    at.run()
    at.button(key=f"regen.{post.item_id}").click().run()
    assert engine.history == []  # nothing rewritten before the person says so
    at.button(key=f"confirm.regen.{post.item_id}").click().run()
    assert [t.item_id for t in engine.history] == [post.item_id]
    assert store.item(post.key).source == "regenerated"
    at.button(key=f"undo.{post.item_id}").click().run()
    assert store.item(post.key).item.body == "我手改的文案，别覆盖"


def test_a_typed_canvas_change_is_kept_without_saving_across_pages_and_reloads(app) -> None:
    at = app("app_pages/canvas.py")
    next(b for b in at.button if b.label == "载入示例").click().run()
    form_id = at.session_state[common.DRAFT_ID]
    at.text_input(key=f"{form_id}.name").set_value("邻里鲜跨年团").run()  # no save clicked
    assert at.session_state[common.CANVAS].name == "邻里鲜跨年团"  # validated as typed
    at.switch_page("app_pages/fabe.py").run()
    at.switch_page("app_pages/canvas.py").run()
    assert at.session_state[common.DRAFT]["name"] == "邻里鲜跨年团"
    again = fresh_tab("app_pages/canvas.py")  # a reload: only the store remembers
    assert again.session_state[common.DRAFT]["name"] == "邻里鲜跨年团"


def test_a_typed_error_blocks_generating_and_names_the_field(app, engine) -> None:
    at = app("app_pages/canvas.py")
    next(b for b in at.button if b.label == "载入示例").click().run()
    form_id = at.session_state[common.DRAFT_ID]
    at.text_input(key=f"{form_id}.name").set_value("").run()
    at.switch_page(WEEK).run()
    at.button(key="generate").click().run()
    assert any("画布草稿有" in e.value and "活动名称" in e.value for e in at.error)
    assert engine.history == []


def test_a_deep_link_opens_the_campaign_at_that_post(app, week: WeekPackage) -> None:
    campaign = store_week(week)
    post = week.calendar.posts[3]
    at = fresh_tab(WEEK, campaign=campaign, post=post.id)
    assert not at.exception
    assert any(post.id in s.value for s in at.subheader)
