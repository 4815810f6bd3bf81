"""Shared fixtures: example canvases and the queue-backed fake engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from week_factory import with_live

from pipelines.canvas import Canvas, load_canvas
from pipelines.engines.fake import FakeEngine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.toml"))


@pytest.fixture
def canvas() -> Canvas:
    """The community fresh-food group-buy example."""
    return load_canvas(ROOT / "assets" / "examples" / "fresh_groupbuy.toml")


@pytest.fixture
def live_canvas(canvas: Canvas) -> Canvas:
    """The fresh-food example with a Friday group live, so the week has every kind of item."""
    return with_live(canvas)


@pytest.fixture
def fake_engine() -> FakeEngine:
    """A fake engine that answers from its queues and falls back to the template engine."""
    from pipelines.engines.template import TemplateEngine

    return FakeEngine(fallback=TemplateEngine(seed=0))
