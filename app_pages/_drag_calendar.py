"""The week as a time grid whose posts can be dragged to another day and time.

Drawn by streamlit-calendar (FullCalendar's time grid, its MIT-licensed standard plugins only).
A drop comes back as the component's value (an `eventChange`) and goes through the same path as
the 改日期和时间 form: `Workspace.reschedule`, which rechecks the week's rules (a refused move
says why, and the post snaps back). Titles reach FullCalendar as data, which it shows as text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from app_pages import common
from app_pages._cards import short_title
from pipelines.content import Post, WeekPackage
from pipelines.errors import CampaignCanvasError

# Darker shades of the grid's channel colours (the colour says the channel, as on the grid):
# white text on them stays readable (≥ 4.5:1).
CHANNEL_HEX = {"社群": "#1558B0", "朋友圈": "#1A7F37", "小红书": "#C62828", "直播间": "#6A3FB5"}
STATE_LABELS = {"draft": "草稿", "in_review": "审核中", "approved": "已通过", "rejected": "已驳回"}
ROUND = "dragcal_round"  # bumped after every drop, so the calendar is drawn afresh from the store
KEY = "dragcal_key"  # the component's current key (read by tests)
REFUSED = "dragcal_refused"  # why the last drop was not saved, shown once after the redraw
CSS = """
.fc .fc-timegrid-slot { height: 2.6em; }
.fc .fc-event-main { white-space: normal; overflow: hidden; font-size: 12px; line-height: 1.3; }
.fc .fc-day-today { background: transparent !important; }
"""


def events(package: WeekPackage, states: dict[str, str], shown: list[str]) -> list[dict]:
    rows = []
    for post in package.calendar.posts:
        if post.channel.value not in shown:
            continue
        start = dt.datetime.combine(post.date, dt.time.fromisoformat(post.time))
        state = STATE_LABELS.get(states.get(post.id, ""), "") if post.id in states else ""
        state = "" if state == "草稿" else state  # the grid's badges say it; here, room for words
        colour = CHANNEL_HEX.get(post.channel.value, "#4B5563")
        rows.append(
            {
                "id": post.id,
                "title": f"{post.time} {state + '｜' if state else ''}{short_title(post.title)}",
                "start": f"{start:%Y-%m-%dT%H:%M:00}",
                "end": f"{start + dt.timedelta(minutes=30):%Y-%m-%dT%H:%M:00}",
                "backgroundColor": colour,
                "borderColor": colour,
                "textColor": "#FFFFFF",
            }
        )
    return rows


def options(package: WeekPackage) -> dict[str, Any]:
    days = package.canvas.days
    earliest = min((p.time for p in package.calendar.posts), default="08:00")
    start_hour = max(0, int(earliest[:2]) - 1)
    clock = {"hour": "2-digit", "minute": "2-digit", "hour12": False}
    return {
        "initialView": "week",
        "views": {"week": {"type": "timeGrid", "duration": {"days": len(days)}}},
        "initialDate": days[0].isoformat(),
        "validRange": {
            "start": days[0].isoformat(),
            "end": (days[-1] + dt.timedelta(days=1)).isoformat(),
        },
        "headerToolbar": False,  # no English "today" and no paging out of the campaign's week
        "locale": "zh-cn",
        "timeZone": "UTC",  # times are the campaign's wall clock, never shifted by the browser
        "allDaySlot": False,
        "slotMinTime": f"{start_hour:02d}:00:00",
        "slotMaxTime": "24:00:00",
        "slotDuration": "00:30:00",
        "snapDuration": "00:15:00",
        "editable": True,
        "eventDurationEditable": False,
        "displayEventTime": False,  # the title starts with it: two lines of words fit
        "height": "auto",
        "dayHeaderFormat": {"weekday": "short", "month": "numeric", "day": "numeric"},
        "slotLabelFormat": clock,
    }


def dropped_at(value: Any) -> tuple[str, dt.date, str] | None:
    """(post id, date, HH:MM) of a drop the calendar reported, or None."""
    if not isinstance(value, dict) or value.get("callback") != "eventChange":
        return None
    event = (value.get("eventChange") or {}).get("event") or {}
    try:
        start = dt.datetime.fromisoformat(str(event["start"]).replace("Z", "+00:00"))
        return str(event["id"]), start.date(), f"{start:%H:%M}"
    except (KeyError, ValueError):
        return None


def drag_calendar(package: WeekPackage, states: dict[str, str], shown: list[str]) -> None:
    from streamlit_calendar import calendar

    st.caption(
        ":material/drag_pan: 按住一条帖子拖到另一天、另一个时间，松开即改期（它的海报跟着走）；"
        "改期后会重新检查整周的规则，不符合时不保存并说明原因。"
    )
    refused = st.session_state.pop(REFUSED, None)
    if refused:
        st.error(refused, icon=":material/error:")
    rows = events(package, states, shown)
    key = f"dragcal.{st.session_state.get(ROUND, 0)}.{common.digest(rows)}"
    st.session_state[KEY] = key
    value = calendar(
        events=rows, options=options(package), custom_css=CSS, callbacks=["eventChange"], key=key
    )
    drop = dropped_at(value)
    if drop is not None:
        move(package, *drop)


def move(package: WeekPackage, post_id: str, date: dt.date, time: str) -> None:
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1  # a fresh calendar next run
    try:
        post = package.item(post_id)
    except KeyError:
        post = None
    days = package.canvas.days
    if not isinstance(post, Post) or date not in days:
        st.session_state[REFUSED] = "只能改到本周内的某一天。"
        st.rerun()
    day = days.index(date) + 1
    if (post.day, post.time) == (day, time):
        st.rerun()
    try:
        common.workspace().reschedule(common.current_campaign() or "", post_id, day=day, time=time)
    except CampaignCanvasError as exc:
        st.session_state[REFUSED] = f"「{post.title}」没有改期：{exc}"
        st.rerun()
    common.carry_notice(f"「{post.title}」已改到 {common.day_label(package, day)} {time}。")
    st.rerun()
