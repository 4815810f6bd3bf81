"""Documents: the ICS calendar (one event per post) and the livestream script as DOCX."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from icalendar import Calendar, Event

from pipelines.content import Block, LivestreamScript, Post
from pipelines.store import PackageView

# Posts are scheduled in local China time; a fixed zone keeps the ICS right wherever it is opened.
TIMEZONE = ZoneInfo("Asia/Shanghai")
EVENT_MINUTES = 30


def calendar_ics(view: PackageView, *, stamp: dt.datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Campaign Canvas//活动画布内容工坊//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", view.canvas.name)
    for stored in view.posts:
        post: Post = stored.item  # type: ignore[assignment]
        hour, minute = map(int, post.time.split(":"))
        start = dt.datetime.combine(post.date, dt.time(hour, minute), tzinfo=TIMEZONE)
        event = Event()
        event.add("uid", f"{view.campaign.id}-{post.id}@campaign-canvas")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=EVENT_MINUTES))
        event.add("summary", f"【{post.channel.value}】{post.title}")
        event.add("description", post.body)
        event.add("categories", [post.activity_type, post.goal])
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def block_times(script: LivestreamScript) -> list[tuple[str, str]]:
    """(start, end) as HH:MM of every act block in order, from the script's start time."""
    clock = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(script.start_time))
    times = []
    for act in script.acts:
        for block in act.blocks:
            end = clock + dt.timedelta(minutes=block.minutes)
            times.append((f"{clock:%H:%M}", f"{end:%H:%M}"))
            clock = end
    return times


RUN_OF_SHOW = ["时间", "分钟", "幕", "环节", "发言角色", "画面", "互动"]


def _run_of_show(document: Document, script: LivestreamScript) -> None:
    """The whole show as one table: clock times, minutes, act, block, who speaks, screen, play."""
    table = document.add_table(rows=1, cols=len(RUN_OF_SHOW))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, RUN_OF_SHOW, strict=True):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
    times = iter(block_times(script))
    for act in script.acts:
        for block in act.blocks:
            start, end = next(times)
            roles = "、".join(dict.fromkeys(line.speaker for line in block.lines))
            values = [
                f"{start}–{end}", str(block.minutes), act.name, block.title, roles,
                block.on_screen, block.interaction or "—",
            ]  # fmt: skip
            for cell, value in zip(table.add_row().cells, values, strict=True):
                cell.text = value


def _block(document: Document, block: Block, level: int, when: str = "") -> None:
    head = f"{when} {block.title}" if when else block.title
    document.add_heading(f"{head}（{block.minutes} 分钟）", level=level)
    document.add_paragraph(f"画面：{block.on_screen}")
    if block.interaction:
        document.add_paragraph(f"互动：{block.interaction}")
    for line in block.lines:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{line.speaker}：").bold = True
        paragraph.add_run(line.words)


def livestream_docx(script: LivestreamScript, *, brand: str) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    # Word picks East Asian glyphs from w:eastAsia; without it Chinese falls back unpredictably.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "微软雅黑")
    document.add_heading(script.title, level=0)
    times = block_times(script)
    end = times[-1][1] if times else script.start_time
    document.add_paragraph(
        f"{brand} · 开播 {script.start_time} · 下播约 {end} · 共约 {script.total_minutes} 分钟"
    )
    document.add_heading("流程总表", level=1)
    _run_of_show(document, script)
    document.add_heading("单品脚本", level=1)
    for segment in script.segments:
        document.add_heading(f"{segment.product}（{segment.minutes} 分钟）", level=2)
        for step in segment.steps:
            _block(document, step, 3)
    document.add_heading("逐字稿", level=1)
    clock = iter(times)
    for act in script.acts:
        document.add_heading(f"{act.name}（{act.minutes} 分钟）", level=2)
        for block in act.blocks:
            start, finish = next(clock)
            _block(document, block, 3, f"{start}–{finish}")
    document.add_heading("应急预案", level=1)
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "情况", "应对"
    for item in script.contingencies:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = item.situation, item.response
    document.add_heading("复盘指标", level=1)
    for metric in script.review_metrics:
        document.add_paragraph(metric, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
