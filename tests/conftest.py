"""Shared fixtures: the sandbox every test runs in, example canvases, the fake engine, databases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from services import PostgresCluster, RedisServer, postgres_cluster, redis_server, unavailable
from week_factory import with_live

from pipelines.canvas import Canvas, load_canvas
from pipelines.engines.fake import FakeEngine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.toml"))
SETTINGS_PREFIXES = ("CC_", "OPENAI_")


@pytest.fixture(autouse=True)
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own empty folder with no CC_* / OPENAI_* settings from the
    developer's shell, so no real secrets file, database or data folder is ever read or written."""
    for name in list(os.environ):
        if name.startswith(SETTINGS_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole run (Debian's package, a free local port)."""
    try:
        context = postgres_cluster()
        cluster = context.__enter__()
    except Exception as exc:  # any reason it cannot start is reported the same way
        unavailable(f"PostgreSQL 测试服务器没能启动：{exc}")
    yield cluster
    context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def redis_service() -> Iterator[RedisServer]:
    """One redis-server for the whole run (Debian's package, a free local port)."""
    try:
        context = redis_server()
        server = context.__enter__()
    except Exception as exc:  # any reason it cannot start is reported the same way
        unavailable(f"Redis 测试服务器没能启动：{exc}", "redis-server")
    yield server
    context.__exit__(None, None, None)


@pytest.fixture
def broker_url(redis_service: RedisServer) -> str:
    """The test Redis's URL, emptied for this test."""
    redis_service.flush()
    return redis_service.url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend the store supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_cluster").database()


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
