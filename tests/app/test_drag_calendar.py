"""拖动改期: the week as a streamlit-calendar time grid; a drop reschedules through the workspace.

AppTest cannot draw the component (it is an iframe), so these tests give the page the value the
calendar sends on a drop (its `eventChange`), exactly as the browser test's real drag does.
"""

from __future__ import annotations

import datetime as dt

from week_factory import make_week

from app_pages import _drag_calendar as drag
from app_pages import common
from app_pages._cards import short_title
from pipelines.content import WeekPackage
from tests.app.conftest import stored_week

WEEK = "app_pages/week.py"


def open_drag_view(app, week: WeekPackage):
    at = app(WEEK, canvas=week.canvas, package=week)
    at.session_state["week_view"] = "拖动改期"
    at.run()
    assert not at.exception
    return at


def drop(at, post_id: str, start: str) -> None:
    """What the calendar returns when `post_id` is dropped at `start` (UTC wall clock)."""
    at.session_state[at.session_state[drag.KEY]] = {
        "callback": "eventChange",
        "eventChange": {"event": {"id": post_id, "start": start, "title": "…"}},
    }
    at.run()
    assert not at.exception


def test_the_drag_view_shows_every_post_as_an_event_of_the_campaigns_week(week) -> None:
    rows = drag.events(week, {}, [c.value for c in week.canvas.channels])
    assert sorted(r["id"] for r in rows) == sorted(p.id for p in week.calendar.posts)
    post = week.calendar.posts[0]
    row = next(r for r in rows if r["id"] == post.id)
    assert row["start"] == f"{post.date.isoformat()}T{post.time}:00"
    assert row["title"] == f"{post.time} {short_title(post.title)}"
    assert row["textColor"] == "#FFFFFF" and row["backgroundColor"].startswith("#")
    options = drag.options(week)
    assert options["initialDate"] == week.canvas.days[0].isoformat()
    assert options["views"]["week"]["duration"] == {"days": 7}
    assert options["headerToolbar"] is False and options["editable"] is True


def test_the_review_state_and_the_channel_filter_reach_the_events(week) -> None:
    post = week.calendar.posts[0]
    other = next(p for p in week.calendar.posts if p.channel == post.channel and p != post)
    rows = drag.events(week, {post.id: "approved", other.id: "draft"}, [post.channel.value])
    assert {r["id"] for r in rows} == {
        p.id for p in week.calendar.posts if p.channel == post.channel
    }
    assert next(r for r in rows if r["id"] == post.id)["title"].startswith(f"{post.time} 已通过｜")
    assert "草稿" not in next(r for r in rows if r["id"] == other.id)["title"]


def test_dropping_a_post_on_another_day_and_time_reschedules_it(app, week) -> None:
    from pipelines.settings import load_settings
    from pipelines.store import open_store

    at = open_drag_view(app, week)
    busiest = max(range(1, 8), key=lambda d: len(week.calendar.day(d)))
    post = week.calendar.day(busiest)[-1]
    target = next(d for d in range(1, 8) if d != busiest)
    date = week.canvas.days[target - 1]
    before = at.session_state[drag.KEY]
    drop(at, post.id, f"{date.isoformat()}T21:15:00Z")
    moved = stored_week(at).item(post.id)
    assert (moved.day, moved.date, moved.time) == (target, date, "21:15")
    assert f"已改到 {common.day_label(week, target)} 21:15" in at.success[0].value
    assert at.session_state[drag.KEY] != before  # drawn afresh: the drop is not applied again
    key = f"{at.session_state[common.CAMPAIGN]}/{post.id}"
    version = open_store(load_settings()).item(key).version
    at.run()
    assert open_store(load_settings()).item(key).version == version == 2


def test_a_drop_that_breaks_the_weeks_rhythm_is_refused_and_says_why(app, canvas) -> None:
    week = make_week(canvas)  # a week with days of exactly four posts
    at = open_drag_view(app, week)
    thinnest = min(range(1, 8), key=lambda d: len(week.calendar.day(d)))
    post = week.calendar.day(thinnest)[0]
    other = next(d for d in range(1, 8) if d != thinnest)
    drop(at, post.id, f"{week.canvas.days[other - 1].isoformat()}T12:00:00Z")
    assert any("没有改期" in e.value and "每天至少" in e.value for e in at.error)
    assert stored_week(at).item(post.id).day == thinnest


def test_a_drop_outside_the_week_is_refused(app, week) -> None:
    at = open_drag_view(app, week)
    post = week.calendar.posts[0]
    drop(at, post.id, "2031-01-01T10:00:00Z")
    assert any("只能改到本周内" in e.value for e in at.error)
    assert stored_week(at).item(post.id).time == post.time


def test_a_value_that_is_not_a_drop_changes_nothing() -> None:
    assert drag.dropped_at({}) is None
    assert drag.dropped_at({"callback": "eventClick", "eventClick": {}}) is None
    assert drag.dropped_at({"callback": "eventChange", "eventChange": {"event": {}}}) is None
    value = {"callback": "eventChange", "eventChange": {"event": {"id": "p", "start": "bad"}}}
    assert drag.dropped_at(value) is None
    value["eventChange"]["event"]["start"] = "2026-12-09T09:05:00Z"
    assert drag.dropped_at(value)[1:] == (dt.date(2026, 12, 9), "09:05")
