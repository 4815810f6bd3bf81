"""The week grid in a real browser: readable at 1400 px without an inner scroll box, and a post
dragged to another day and time on the 拖动改期 calendar (streamlit-calendar) is rescheduled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from bench.browser import (
    chromium,
    generate_week,
    go_to,
    load_example,
    open_app,
    streamlit_server,
    until,
    wait_ready,
)
from pipelines.settings import load_settings
from pipelines.store import open_store

pytestmark = pytest.mark.browser
CARDS = "[class*='st-key-card-']"

# Measured in the page: the day columns of the grid, the tallest card title in lines, and any
# element between a card and the page that scrolls on its own.
MEASURE = """() => {
  const cards = [...document.querySelectorAll("[class*='st-key-card-']")];
  const row = cards[0].closest("[data-testid=stHorizontalBlock]");
  const days = [...row.children].map(c => c.getBoundingClientRect());
  const labels = cards.map(card => [...card.querySelectorAll("button p")]
    .find(p => p.getBoundingClientRect().height > 0));
  const lines = labels.filter(label => label).map(label => {
    const height = label.getBoundingClientRect().height;
    const line = parseFloat(getComputedStyle(label).lineHeight) || 1.6 * parseFloat(getComputedStyle(label).fontSize);
    return Math.round(height / line);
  });
  const boxes = [];
  for (let node = row; node && node !== document.body; node = node.parentElement) {
    const style = getComputedStyle(node);
    const scrolls = /(auto|scroll)/.test(style.overflowY + style.overflowX);
    const inner = node.scrollHeight > node.clientHeight + 2 || node.scrollWidth > node.clientWidth + 2;
    const isPage = node.getAttribute("data-testid") === "stMain" || node.getAttribute("data-testid") === "stAppViewContainer" || node.classList.contains("stMain");
    if (scrolls && inner && !isPage) boxes.push(node.getAttribute("data-testid") || node.className);
  }
  return {
    viewport: window.innerWidth,
    days: days.map(r => ({left: r.left, right: r.right, width: r.width})),
    rowScrolls: row.scrollWidth > row.clientWidth + 2,
    maxLines: Math.max(...lines),
    cards: cards.length,
    unlabelled: cards.filter((card, i) => !labels[i]).map(card => card.className + " " + card.innerText.slice(0, 80)),
    innerScrollBoxes: boxes,
  };
}"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("calendar-data")


@pytest.fixture(scope="module")
def app_url(data: Path, executable: str) -> Iterator[str]:
    with streamlit_server(data) as url:
        yield url


@pytest.fixture(scope="module")
def campaign(app_url: str, executable: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    with chromium(tmp_path_factory.mktemp("first"), executable) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_app(page, app_url)
        load_example(page)
        go_to(page, "一周日历")
        generate_week(page)
        return parse_qs(urlparse(page.url).query)["campaign"][0]


def store(data: Path):
    return open_store(load_settings(env={}, cc_data_dir=data))


def test_the_week_grid_at_1400_px_shows_seven_days_without_an_inner_scroll_box(
    app_url: str, campaign: str, executable: str, tmp_path: Path
) -> None:
    with chromium(tmp_path / "profile", executable, viewport={"width": 1400, "height": 900}) as c:
        page = c.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{app_url}/week?campaign={campaign}")
        wait_ready(page)
        page.locator(CARDS).first.wait_for()
        wait_ready(page)
        until(lambda: page.locator(CARDS).count(), lambda n: n >= 28, page)
        page.locator(f"{CARDS} button p").first.wait_for()
        until(lambda: page.get_by_test_id("stSkeleton").count(), lambda n: n == 0, page)
        measured = page.evaluate(MEASURE)
        page.screenshot(path=tmp_path / "week-1400.png", full_page=True)
    assert (tmp_path / "week-1400.png").stat().st_size > 10_000
    days = measured["days"]
    assert len(days) == 7 and measured["cards"] >= 28, measured
    assert days[0]["left"] >= 0 and days[-1]["right"] <= measured["viewport"], measured
    assert min(d["width"] for d in days) >= 120, measured  # wide enough to read a title
    assert not measured["rowScrolls"] and measured["innerScrollBoxes"] == [], measured
    assert measured["unlabelled"] == [] and 1 <= measured["maxLines"] <= 3, measured


def test_dragging_a_post_to_another_day_and_time_reschedules_it(
    page, app_url: str, campaign: str, data: Path, tmp_path: Path
) -> None:
    week = store(data).week(campaign)
    busiest = max(range(1, 8), key=lambda d: len(week.calendar.day(d)))
    post = week.calendar.day(busiest)[-1]
    target = next(d for d in range(1, 8) if d != busiest and d != post.day)
    date = week.canvas.days[target - 1]

    page.goto(f"{app_url}/week?campaign={campaign}")
    wait_ready(page)
    page.get_by_role("tab", name="拖动改期").click()
    wait_ready(page)
    frame = page.frame_locator("iframe[title*='calendar']").first
    event = frame.locator(".fc-event").filter(has_text=post.title[:10]).first
    event.wait_for()
    column = frame.locator(f"td.fc-timegrid-col[data-date='{date.isoformat()}']")
    slot = frame.locator("td.fc-timegrid-slot-lane[data-time='21:00:00']")
    event.scroll_into_view_if_needed()
    source = event.bounding_box()
    x, y = source["x"] + source["width"] / 2, source["y"] + 6
    page.mouse.move(x, y)
    page.mouse.down()
    slot.scroll_into_view_if_needed()
    column_box, slot_box = column.bounding_box(), slot.bounding_box()
    to_x, to_y = column_box["x"] + column_box["width"] / 2, slot_box["y"] + 6
    for step in range(1, 13):  # FullCalendar needs a real drag, not a jump
        page.mouse.move(x + (to_x - x) * step / 12, y + (to_y - y) * step / 12)
        page.wait_for_timeout(40)
    page.mouse.up()
    page.get_by_text("已改到").wait_for()
    wait_ready(page)
    moved = until(
        lambda: store(data).week(campaign).item(post.id),
        lambda p: p.day == target,
        page,
    )
    assert moved.date == date and moved.time == "21:00"
    # Drawn afresh from the store: the post sits in its new day's column.
    frame = page.frame_locator("iframe[title*='calendar']").first
    column = frame.locator(f"td.fc-timegrid-col[data-date='{date.isoformat()}']")
    column.locator(".fc-event").filter(has_text=f"21:00 {post.title[:8]}").first.wait_for()
    page.screenshot(path=tmp_path / "dragged.png", full_page=True)


def test_the_uploader_shows_chinese_words_instead_of_streamlits_english(
    page, app_url: str, tmp_path: Path
) -> None:
    page.goto(app_url)
    wait_ready(page)
    zone = page.get_by_test_id("stFileUploaderDropzone").first
    zone.wait_for()
    shown = page.evaluate(
        """() => {
      const zone = document.querySelector("[data-testid=stFileUploaderDropzone]");
      const hint = zone.querySelector("[data-testid=stFileUploaderDropzoneInstructions]");
      const label = zone.querySelector("button [data-testid=stMarkdownContainer] p");
      return {
        hint: hint ? getComputedStyle(hint).display : "gone",
        after: getComputedStyle(label, "::after").content,
        ownSize: getComputedStyle(label).fontSize,
        width: label.getBoundingClientRect().width,
      };
    }"""
    )
    zone.screenshot(path=tmp_path / "uploader.png")
    assert shown["hint"] in {"none", "gone"}, shown  # "20MB per file" is not shown
    assert shown["after"] == '"选择文件"' and shown["ownSize"] == "0px", shown
    assert shown["width"] > 20, shown  # the Chinese words take room on the button
    assert page.get_by_text("支持 TOML、JSON，单个文件不超过 20 MB").is_visible()
