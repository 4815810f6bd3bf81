"""AppTest fixtures: a clean data dir and working directory, fresh Streamlit caches, a fake engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from week_factory import make_week

from app_pages import common
from pipelines.auth import User
from pipelines.canvas import Canvas
from pipelines.content import WeekPackage
from pipelines.engines.fake import FakeEngine
from pipelines.settings import load_settings
from pipelines.store import Store, open_store
from pipelines.tasks import generate_week

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60


@pytest.fixture(autouse=True)
def fresh_caches(sandbox: Path) -> Iterator[Path]:
    """Streamlit's caches start empty (st.cache_resource outlives AppTest instances); the data
    dir, working folder and settings are the root conftest's sandbox."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield sandbox
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def engine(fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """The app's engine, replaced by the queue-backed fake (template answers by default)."""
    monkeypatch.setattr(common, "get_engine", lambda settings: fake_engine)
    return fake_engine


@pytest.fixture
def app() -> Callable[..., AppTest]:
    """A fresh app session, optionally on a page (`app("app_pages/week.py")`)."""

    def start(
        page: str | None = None, package: WeekPackage | None = None, **state: object
    ) -> AppTest:
        """`package`, when given, is stored as a campaign and opened (the canvas draft came
        from it), as if the person had generated it earlier."""
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if package is not None:
            campaign = store_week(package)
            state = {common.CAMPAIGN: campaign, common.DRAFT_OF: campaign, **state}
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        if page is not None:
            at.switch_page(page).run()
        return at

    return start


@pytest.fixture(scope="session")
def week() -> WeekPackage:
    """One generated week of the example canvas with a live day (template engine), shared by
    read-only tests, so every page has something to show."""
    from week_factory import with_live

    from pipelines.canvas import load_canvas
    from pipelines.engines.template import TemplateEngine

    canvas = load_canvas(APP.parent / "assets" / "examples" / "fresh_groupbuy.toml")
    return generate_week(with_live(canvas), TemplateEngine(seed=0))


OPERATOR = User("小王", "operator")
REVIEWER = User("小蓝", "reviewer")


@pytest.fixture
def store(sandbox: Path) -> Iterator[Store]:
    """The sandbox's store, as the app opens it."""
    opened = open_store(load_settings())
    yield opened
    opened.close()


@pytest.fixture
def campaign(store: Store, canvas: Canvas) -> str:
    """A stored week whose day-1 items are all in review."""
    campaign = store.save_package(make_week(canvas), user=OPERATOR)
    for stored in store.items(campaign, day=1):
        store.submit(stored.key, user=OPERATOR)
    return campaign


def store_week(package: WeekPackage) -> str:
    """Save a week in the sandbox's store as the single-user admin; returns the campaign id."""
    from pipelines.auth import local_user
    from pipelines.settings import load_settings
    from pipelines.store import open_store

    store = open_store(load_settings())
    try:
        return store.save_package(package, user=local_user())
    finally:
        store.close()


def stored_week(at: AppTest) -> WeekPackage:
    """The open campaign's week as the store holds it (the session keeps only the id)."""
    from pipelines.settings import load_settings
    from pipelines.store import open_store

    store = open_store(load_settings())
    try:
        return store.week(at.session_state[common.CAMPAIGN])
    finally:
        store.close()


@pytest.fixture
def texts() -> Callable[[AppTest], str]:
    return page_text


def page_text(at: AppTest) -> str:
    """Every piece of text the page shows, for 'never shown' checks."""
    parts: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "text",
        "error",
        "warning",
        "info",
        "success",
        "title",
        "subheader",
    ):
        parts += [str(element.value) for element in getattr(at, kind)]
    for widget in (*at.text_input, *at.text_area):
        parts += [str(widget.value), str(widget.label), str(getattr(widget, "placeholder", ""))]
    return "\n".join(parts)
