"""The posts written so far, shown while a week is being generated."""

from __future__ import annotations

from app_pages._progress import written_so_far


def test_posts_written_so_far_are_listed_in_calendar_order(week):
    posts = list(reversed(week.calendar.posts[:3]))  # finished out of order
    text = written_so_far(week.canvas, posts)
    lines = text.splitlines()
    assert lines[0] == "已写好 3 条帖子："
    ordered = sorted(posts, key=lambda p: (p.day, p.time))
    assert [line.split("｜", 1)[1] for line in lines[1:]] == [p.title for p in ordered]
    assert lines[1].startswith("周") and ordered[0].time in lines[1]
