"""Fixtures for the poster tests: the example canvas and one hand-made copy per poster kind."""

from __future__ import annotations

import pytest
from poster_samples import fresh_canvas, sample_copies

from pipelines.canvas import Canvas
from pipelines.content import PosterCopy


@pytest.fixture(scope="session")
def canvas() -> Canvas:
    return fresh_canvas()


@pytest.fixture(scope="session")
def copies() -> list[PosterCopy]:
    return sample_copies()
