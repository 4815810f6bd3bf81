"""The week as it is being written: posts appear on the week page as each one is finished."""

from __future__ import annotations

from collections.abc import Iterable

from app_pages import common
from pipelines.canvas import Canvas
from pipelines.content import Post


def written_so_far(canvas: Canvas, posts: Iterable[Post]) -> str:
    """The posts written so far, in calendar order, as plain text (one line each)."""
    ordered = sorted(posts, key=lambda p: (p.day, p.time))
    lines = [
        f"{common.day_label(canvas, p.day)} {p.time} {p.channel.value}｜{p.title}" for p in ordered
    ]
    return f"已写好 {len(ordered)} 条帖子：\n" + "\n".join(lines)
