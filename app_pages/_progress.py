"""The week as it is being written: the calendar fills in post by post as each one is finished.

The week page re-renders this grid into one st.empty() on every finished post the task runner
reports (`TaskEvent.output`): with an engine that writes post by post (the LLM engine) the days
fill in one card at a time; the template engine's calendar arrives whole, in one step.
Read-only (no widgets, so no keys to clash on a re-render); titles as escaped Markdown.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from app_pages import common
from app_pages._cards import CHANNEL_COLOURS, short_title
from pipelines.canvas import Canvas
from pipelines.content import Post


def ordered(posts: Iterable[Post]) -> list[Post]:
    return sorted(posts, key=lambda p: (p.day, p.time, p.id))


def writing_grid(canvas: Canvas, posts: Iterable[Post]) -> None:
    """The posts written so far, each in its day's column, in time order."""
    written = ordered(posts)
    st.caption(f":material/edit_calendar: 已写好 {len(written)} 条帖子，日历随写随填")
    columns = st.columns(len(canvas.days), gap="small")
    for day, column in enumerate(columns, start=1):
        with column:
            st.markdown(f"**{common.day_label(canvas, day)}**")
            for post in (p for p in written if p.day == day):
                colour = CHANNEL_COLOURS.get(post.channel.value, "gray")
                with st.container(border=True, gap="small"):
                    st.markdown(
                        f":{colour}-badge[{post.time} {post.channel.value}]  \n"
                        + common.md_escape(short_title(post.title))
                    )
