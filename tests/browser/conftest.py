"""Real-browser fixtures: `streamlit run app.py` on a free port and Debian chromium via Playwright.

Playwright cannot download browsers here, so the test drives `/usr/bin/chromium`. Without it the
test is skipped locally and fails under CI (`CI` set), where `.ci/run` installs it first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.browser import chromium, chromium_path, streamlit_server

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"


@pytest.fixture(scope="module")
def executable() -> str:
    found = chromium_path()
    if found is None:
        message = "找不到 chromium（/usr/bin/chromium）：请先运行 make chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, executable: str) -> Iterator[str]:
    """The app's base URL; its data (store, answer cache) lives in a fresh temporary folder."""
    with streamlit_server(tmp_path_factory.mktemp("app-data")) as url:
        yield url


@pytest.fixture
def page(
    server: str, executable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[object]:
    """A page in a fresh chromium profile; a screenshot goes to test-output/ when the test ends."""
    with chromium(tmp_path / "profile", executable) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=OUTPUT / f"{request.node.name}.png", full_page=True)
