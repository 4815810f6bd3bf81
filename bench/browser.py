"""The app in a real browser (Debian chromium via Playwright), with the template engine.

Also the harness the end-to-end test uses: start `streamlit run app.py` on a free port, wait for
`/_stcore/health`, drive chromium with a fresh profile, wait for Streamlit to finish a run.

Figures: page load → interactive, and click 生成 → calendar visible, medians of several runs,
each against a baseline from the same run (the health endpoint; a trivial rerun).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Streamlit marks the app root with the script state; "notRunning" means the rerun is over.
READY = "[data-testid=stApp][data-test-script-state=notRunning]"
RUNS = 5


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return CHROMIUM if Path(CHROMIUM).is_file() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def streamlit_server(data_dir: Path, *, timeout: float = 90) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its data in `data_dir`; yields the base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = os.environ | {"CC_DATA_DIR": str(data_dir), "CC_ENGINE": "template"}
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "streamlit.log").open("wb")
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {data_dir / 'streamlit.log'}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def chromium(profile: Path, executable: str, **options: Any) -> Iterator[Any]:
    """A Playwright browser context on Debian's chromium with a fresh user-data dir; `options`
    override the context's defaults (e.g. a phone's viewport and user agent)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            args=FLAGS,
            headless=True,
            accept_downloads=True,
            **({"locale": "zh-CN", "viewport": {"width": 1440, "height": 1000}} | options),
        )
        try:
            yield context
        finally:
            context.close()


def wait_ready(page: Any, timeout: float = 30_000) -> None:
    page.wait_for_selector(READY, timeout=timeout)


def until(read: Any, done: Any, page: Any, seconds: float = 15) -> Any:
    """`read()` again until `done(value)`: the app's callback may still be running after the
    browser has drawn the change."""
    value = None
    for _ in range(int(seconds * 4)):
        value = read()
        if done(value):
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"没有等到：{value}")


def choose_option(page: Any, box: Any, option: Any, tries: int = 3) -> None:
    """Open a select box and click one of its options. A rerun of the page can close the list
    before the click lands (seen on a loaded machine): then it is opened again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        wait_ready(page)
        box.click()
        try:
            option.click(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
    wait_ready(page)


def choose(page: Any, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    choose_option(
        page, box.get_by_role("combobox"), page.get_by_role("option", name=option, exact=True)
    )


def open_app(page: Any, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    page.get_by_role("heading", name="活动画布", exact=True).wait_for()


def load_example(page: Any, stem: str = "fresh_groupbuy") -> None:
    """Pick the example canvas `assets/examples/<stem>.toml` and load it."""
    page.get_by_test_id("stSelectbox").filter(has_text="示例画布").click()
    page.get_by_role("option", name=f"（{stem}）").click()
    wait_ready(page)
    page.get_by_role("button", name="载入示例").click()
    page.get_by_text("已载入示例画布").wait_for()
    wait_ready(page)


def go_to(page: Any, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    wait_ready(page)


def generate_week(page: Any, timeout: float = 60_000) -> None:
    """Click 生成 and wait until the 7-day calendar's post buttons are on screen."""
    page.get_by_role("button", name="生成本周内容").click()
    # The notice, not the calendar: a week generated before is on screen already.
    page.get_by_text("生成完成").first.wait_for(timeout=timeout)
    page.locator("[class*='st-key-open-post-']").first.wait_for(timeout=timeout)
    wait_ready(page, timeout)


def open_first_post(page: Any) -> None:
    """Open the first post of the calendar and wait for its detail panel."""
    page.locator("[class*='st-key-open-post-']").first.get_by_role("button").first.click()
    page.get_by_role("heading", name="帖子详情").wait_for()
    wait_ready(page)


# --- the benchmark ---------------------------------------------------------------------------


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def review_figures(page: Any, url: str, data_dir: Path, campaign: str) -> dict[str, list[float]]:
    """The review queue on a stored week: open it from the sidebar (→ its list visible), and
    approve one day's clean items in one click (→ the counts show them approved); one day per
    run, each day's items put in review through the store first."""
    from pipelines.auth import local_user
    from pipelines.settings import load_settings
    from pipelines.store import open_store

    store = open_store(load_settings(env={}, cc_data_dir=data_dir))
    figures: dict[str, list[float]] = {"open": [], "approve": []}
    try:
        for day in range(1, RUNS + 1):
            for stored in store.items(campaign, day=day, state="draft"):
                store.submit(stored.key, user=local_user())
            approved = len(store.items(campaign, state="approved"))
            clean = [s for s in store.items(campaign, day=day, state="in_review") if s.clean]
            page.goto(f"{url}/week?campaign={campaign}")
            wait_ready(page)
            started = time.perf_counter()
            go_to(page, "审核")
            page.get_by_text("个条目，其中").wait_for()
            wait_ready(page)
            figures["open"].append(time.perf_counter() - started)
            box = page.get_by_test_id("stSelectbox").filter(has_text="日期")
            # options: 整周, then the seven days
            choose_option(page, box.get_by_role("combobox"), page.get_by_role("option").nth(day))
            started = time.perf_counter()
            page.get_by_role("button").filter(has_text="一键通过").click()
            page.get_by_text(f"已一键通过 {len(clean)} 个").wait_for()
            wait_ready(page)  # the notice and the counts come from the same run
            figures["approve"].append(time.perf_counter() - started)
            counts = page.get_by_test_id("stMarkdown").filter(has_text="已驳回").first.inner_text()
            if f"已通过 {approved + len(clean)}" not in " ".join(counts.split()):
                raise AssertionError(f"计数没有更新：{counts}")
    finally:
        store.close()
    return figures


def run() -> str:
    executable = chromium_path()
    if executable is None:
        return "## 浏览器（真实 chromium）\n\n未找到 chromium，跳过（`make chromium` 安装）。\n"
    with tempfile.TemporaryDirectory(prefix="cc-bench-browser-") as tmp:
        root = Path(tmp)
        with (
            streamlit_server(root / "data") as url,
            chromium(root / "profile", executable) as context,
        ):
            page = context.new_page()
            open_app(page, url)  # warm-up: first imports on the server
            health, load, rerun, generate, reopen = [], [], [], [], []
            for _ in range(RUNS):
                started = time.perf_counter()
                page.goto(f"{url}/_stcore/health")
                health.append(time.perf_counter() - started)
                started = time.perf_counter()
                open_app(page, url)
                load.append(time.perf_counter() - started)
                load_example(page)
                go_to(page, "一周日历")
                shutil.rmtree(root / "data" / "cache", ignore_errors=True)  # every run is cold
                started = time.perf_counter()
                generate_week(page)
                generate.append(time.perf_counter() - started)
                started = time.perf_counter()
                open_first_post(page)
                rerun.append(time.perf_counter() - started)
                # A saved campaign opened from its link in a fresh load (a reload, a second tab).
                link = page.url.split("?")[1]
                started = time.perf_counter()
                page.goto(f"{url}/week?{link}")
                page.locator("[class*='st-key-open-post-']").first.wait_for()
                wait_ready(page)
                reopen.append(time.perf_counter() - started)
            campaign = page.url.split("campaign=")[1].split("&")[0]
            review = review_figures(page, url, root / "data", campaign)
    open_ms, approve_ms = _median_ms(review["open"]), _median_ms(review["approve"])
    load_ms, health_ms = _median_ms(load), _median_ms(health)
    generate_ms, rerun_ms = _median_ms(generate), _median_ms(rerun)
    reopen_ms = _median_ms(reopen)
    return "\n".join(
        [
            "## 浏览器（真实 chromium，模板引擎）",
            "",
            f"示例画布 fresh_groupbuy，{RUNS} 次取中位数；每次生成前清空答案缓存（冷生成）。",
            "",
            "| 指标 | 中位数 | 基线（同次运行） | 倍数 | 目标 |",
            "|---|---|---|---|---|",
            f"| 打开页面 → 可交互 | {load_ms:.0f} ms | 健康检查端点 {health_ms:.0f} ms "
            f"| {load_ms / health_ms:.1f}× | < 3000 ms {'✓' if load_ms < 3000 else '✗'} |",
            f"| 点击「生成」→ 日历可见 | {generate_ms:.0f} ms | 同页一次不生成的重跑（打开帖子）"
            f"{rerun_ms:.0f} ms | {generate_ms / rerun_ms:.1f}× "
            f"| < 2000 ms {'✓' if generate_ms < 2000 else '✗'} |",
            f"| 从链接打开已保存的活动（重新加载）→ 日历可见 | {reopen_ms:.0f} ms | 打开页面 → 可交互 "
            f"{load_ms:.0f} ms | {reopen_ms / load_ms:.1f}× "
            f"| 加载后 < 1000 ms {'✓' if reopen_ms - load_ms < 1000 else '✗'} |",
            f"| 从侧栏打开审核队列 → 列表可见 | {open_ms:.0f} ms | 同页一次不生成的重跑（打开帖子）"
            f"{rerun_ms:.0f} ms | {open_ms / rerun_ms:.1f}× "
            f"| < 1500 ms {'✓' if open_ms < 1500 else '✗'} |",
            f"| 一键通过一天的条目 → 计数更新 | {approve_ms:.0f} ms | 同页一次不生成的重跑（打开帖子）"
            f"{rerun_ms:.0f} ms | {approve_ms / rerun_ms:.1f}× "
            f"| < 1500 ms {'✓' if approve_ms < 1500 else '✗'} |",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
