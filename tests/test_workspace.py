"""The campaign service: one path for every edit, regeneration that asks before it replaces work."""

from __future__ import annotations

import pytest
from week_factory import make_week

from pipelines.auth import User
from pipelines.errors import StoreError
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.store.texts import with_texts
from pipelines.tasks import regenerate_item
from pipelines.workspace import NeedsConfirmation, Workspace

OPERATOR = User("小王", "operator")
COLLEAGUE = User("小李", "operator")


@pytest.fixture
def store(database_url):
    opened = open_store(load_settings(env={}, cc_database_url=database_url))
    yield opened
    opened.close()


@pytest.fixture
def workspace(store) -> Workspace:
    return Workspace(store, OPERATOR)


@pytest.fixture
def campaign(workspace, canvas) -> str:
    return workspace.save_week(make_week(canvas))


def test_an_unchanged_canvas_reopens_its_campaign(workspace, campaign, canvas):
    assert workspace.campaign_for(canvas) == campaign
    assert workspace.save_week(make_week(canvas)) == campaign
    assert len(workspace.store.campaigns()) == 1


def test_an_edit_on_any_page_goes_through_the_same_rules(workspace, campaign):
    post = workspace.item(campaign, "post-d1-01")
    saved = workspace.edit(campaign, with_texts(post.item, {"body": "今晚六点到自提点"}))
    assert (saved.version, saved.source) == (2, "edited")
    other = workspace.item(campaign, "post-d1-02").item
    with pytest.raises(StoreError, match="冲突"):
        workspace.edit(campaign, with_texts(other, {"title": post.item.title}))


def test_an_edit_from_an_older_version_is_a_conflict(workspace, campaign):
    post = workspace.item(campaign, "post-d1-01")
    workspace.edit(campaign, with_texts(post.item, {"body": "先到的修改"}))
    with pytest.raises(StoreError, match="保存冲突"):
        workspace.edit(campaign, with_texts(post.item, {"body": "后到的修改"}), expected_version=1)


def _fake_writer(texts: list[int]):
    def write(week, item_id, variant):
        texts.append(variant)
        post = week.item(item_id)
        from pipelines.tasks import replace_item

        return replace_item(week, with_texts(post, {"body": f"第{variant}种写法"}))

    return write


def test_regenerating_takes_the_variant_from_history_so_two_sessions_differ(store, campaign):
    variants: list[int] = []
    first, second = Workspace(store, OPERATOR), Workspace(store, COLLEAGUE)
    first.regenerate(campaign, "post-d1-01", _fake_writer(variants))
    second.regenerate(campaign, "post-d1-01", _fake_writer(variants))
    assert variants == [1, 2]
    assert first.item(campaign, "post-d1-01").item.body == "第2种写法"


def test_regenerating_a_hand_edit_asks_first_and_undo_brings_it_back(workspace, campaign):
    post = workspace.item(campaign, "post-d1-01")
    workspace.edit(campaign, with_texts(post.item, {"body": "我的手改"}))
    with pytest.raises(NeedsConfirmation, match="人工修改"):
        workspace.regenerate(campaign, "post-d1-01", _fake_writer([]))
    workspace.regenerate(campaign, "post-d1-01", _fake_writer([]), overwrite_edit=True)
    assert workspace.item(campaign, "post-d1-01").item.body == "第1种写法"
    restored = workspace.undo(campaign, "post-d1-01")
    assert restored.item.body == "我的手改" and restored.version == 4


def test_regenerating_with_the_real_engine_writes_a_new_version(workspace, campaign, fake_engine):
    def write(week, item_id, variant):
        return regenerate_item(week, item_id, fake_engine, variant=variant)

    saved = workspace.regenerate(campaign, "post-d1-01", write)
    assert (saved.version, saved.source) == (2, "regenerated")


def test_a_post_can_move_to_another_day_and_time(workspace, campaign, canvas):
    week = workspace.week(campaign)
    busiest = max(range(1, 8), key=lambda d: len(week.calendar.day(d)))
    post = week.calendar.day(busiest)[0]
    if len(week.calendar.day(busiest)) <= 4:  # every day at the minimum: move within the day
        target = busiest
    else:
        target = next(d for d in range(1, 8) if d != busiest)
    moved = workspace.reschedule(campaign, post.id, day=target, time="21:10")
    assert (moved.item.day, moved.item.date, moved.item.time) == (
        target, canvas.days[target - 1], "21:10",
    )  # fmt: skip
    assert moved.day == target  # the review queue files it under its new day
    with pytest.raises(StoreError, match="不在本周"):
        workspace.reschedule(campaign, post.id, day=9, time="19:30")
    with pytest.raises(StoreError, match="修改未保存"):
        workspace.reschedule(campaign, post.id, day=target, time="25:99")


def test_a_move_that_breaks_the_weekly_rhythm_is_refused_with_the_rule(workspace, campaign):
    week = workspace.week(campaign)
    thinnest = min(range(1, 8), key=lambda d: len(week.calendar.day(d)))
    post = week.calendar.day(thinnest)[0]
    other = next(d for d in range(1, 8) if d != thinnest)
    with pytest.raises(StoreError, match="每天至少"):
        workspace.reschedule(campaign, post.id, day=other, time="12:00")
    assert workspace.item(campaign, post.id).item.day == thinnest


def test_the_chosen_layout_is_kept_with_the_version_and_survives_edits(workspace, campaign):
    poster = workspace.store.items(campaign, kind="poster_copy")[0]
    chosen = workspace.choose_layout(campaign, poster.item_id, "paper", b"\x89PNG stand-in")
    assert (chosen.layout, chosen.has_poster_png) == ("paper", True)
    edited = workspace.edit(campaign, with_texts(chosen.item, {"cta": "群里接龙"}))
    assert edited.layout == "paper"
    assert workspace.store.history(poster.key)[-1].layout == "paper"


def test_next_week_moves_the_canvas_on_by_seven_days(workspace, campaign, canvas):
    following = workspace.next_week(campaign)
    assert (following.week_start - canvas.week_start).days == 7
    assert following.products == canvas.products
