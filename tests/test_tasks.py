"""The week plan: dependency order, bounded concurrency, content cache, failure isolation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pipelines.canvas import Canvas
from pipelines.content import WeekPackage
from pipelines.engines.base import TaskKind
from pipelines.engines.fake import FakeEngine
from pipelines.engines.template import TemplateEngine
from pipelines.errors import ContentError, EngineError
from pipelines.tasks import (
    DiskCache,
    MemoryCache,
    TaskEvent,
    build_week,
    generate_week,
    regenerate_item,
)


def build(canvas: Canvas, engine, **kwargs) -> WeekPackage:
    return asyncio.run(build_week(canvas, engine, **kwargs))


def test_a_full_week_is_built_and_complete(live_canvas: Canvas, fake_engine: FakeEngine) -> None:
    package = build(live_canvas, fake_engine)
    assert package.complete
    assert len(package.selling_points) == len(live_canvas.products)
    assert package.calendar is not None and package.livestream is not None
    assert package.launch is not None  # the fresh-food canvas runs a group-buy
    assert len(package.posters) == sum(p.needs_poster for p in package.calendar.posts)
    kinds = [t.kind for t in fake_engine.history]
    assert kinds.count(TaskKind.FABE) == len(live_canvas.products)
    assert kinds.count(TaskKind.CALENDAR) == kinds.count(TaskKind.LIVESTREAM) == 1


def test_tasks_run_after_what_they_depend_on(live_canvas: Canvas, fake_engine: FakeEngine) -> None:
    build(live_canvas, fake_engine)
    order = [t.kind for t in fake_engine.history]
    last_fabe = max(i for i, k in enumerate(order) if k is TaskKind.FABE)
    calendar = order.index(TaskKind.CALENDAR)
    first_poster = order.index(TaskKind.POSTER_COPY)
    assert last_fabe < calendar < first_poster
    assert last_fabe < order.index(TaskKind.LIVESTREAM)
    calendar_task = fake_engine.history[calendar]
    assert {p.product_id for p in calendar_task.selling_points} == {
        p.id for p in live_canvas.products
    }


@pytest.mark.parametrize("bound", [1, 2, 3])
def test_concurrency_never_exceeds_the_bound(canvas: Canvas, bound: int) -> None:
    engine = FakeEngine(fallback=TemplateEngine(), delay=0.01)
    build(canvas, engine, concurrency=bound)
    assert engine.max_running == bound


def test_an_unchanged_canvas_rerun_does_no_work_twice(canvas: Canvas, fake_engine) -> None:
    cache = MemoryCache()
    first = build(canvas, fake_engine, cache=cache)
    calls = len(fake_engine.history)
    events: list[TaskEvent] = []
    second = build(canvas, fake_engine, cache=cache, on_event=events.append)
    assert len(fake_engine.history) == calls
    assert {e.state for e in events} == {"cached"}
    assert second.model_dump(exclude={"generated_at"}) == first.model_dump(exclude={"generated_at"})


def test_a_changed_canvas_redoes_each_task_exactly_once(canvas: Canvas, fake_engine) -> None:
    cache = MemoryCache()
    build(canvas, fake_engine, cache=cache)
    before = len(fake_engine.history)
    changed = canvas.model_copy(deep=True)
    changed.group_rules = [*canvas.group_rules, "新规：周日不开团"]
    build(changed, fake_engine, cache=cache)
    # The canvas is an input of every task, so every task runs again — but exactly once each.
    assert len(fake_engine.history) - before == before


def test_the_disk_cache_survives_a_new_process(canvas: Canvas, tmp_path: Path) -> None:
    first = FakeEngine(fallback=TemplateEngine())
    build(canvas, first, cache=DiskCache(tmp_path))
    second = FakeEngine(fallback=TemplateEngine())
    build(canvas, second, cache=DiskCache(tmp_path))
    assert first.history and not second.history


def test_a_failed_task_fails_only_what_depends_on_it(live_canvas: Canvas, fake_engine) -> None:
    fake_engine.enqueue(TaskKind.FABE, EngineError("模型超时"))
    cache = MemoryCache()
    package = build(live_canvas, fake_engine, cache=cache)
    failed = {f.task_id: f for f in package.failures}
    assert failed["fabe-beef"].message == "模型超时" and not failed["fabe-beef"].skipped
    assert failed["calendar"].skipped and failed["livestream"].skipped and failed["launch"].skipped
    assert package.group_kit is not None  # independent of the failed product
    assert {p.product_id for p in package.selling_points} == {"veg", "mushroom"}
    assert package.calendar is None and package.posters == []

    calls_before = len(fake_engine.history)
    rerun = build(live_canvas, fake_engine, cache=cache)
    redone = [t.item_id for t in fake_engine.history[calls_before:]]
    assert rerun.complete
    assert "fabe-veg" not in redone and "group-kit" not in redone and "fabe-beef" in redone


def test_progress_events_cover_every_task(canvas: Canvas, fake_engine) -> None:
    events: list[TaskEvent] = []
    package = build(canvas, fake_engine, on_event=events.append)
    done = {e.task_id for e in events if e.state == "done"}
    started = {e.task_id for e in events if e.state == "started"}
    expected = {i.id for i in package.items() if not i.id.startswith("post-")} | {"calendar"}
    assert done == started == expected


def test_regenerating_one_item_is_exactly_one_call(canvas: Canvas, fake_engine) -> None:
    package = build(canvas, fake_engine)
    post = package.calendar.posts[5]
    calls = len(fake_engine.history)
    updated = regenerate_item(package, post.id, fake_engine)
    assert len(fake_engine.history) == calls + 1
    assert fake_engine.history[-1].kind is TaskKind.POST
    new = updated.item(post.id)
    assert (new.day, new.time, new.channel, new.product_id) == (
        post.day,
        post.time,
        post.channel,
        post.product_id,
    )
    assert package.item(post.id) == post  # the original package is untouched


@pytest.mark.parametrize("item_id", ["fabe-veg", "livestream", "group-kit", "launch"])
def test_every_kind_of_item_can_be_regenerated(live_canvas: Canvas, item_id: str) -> None:
    engine = TemplateEngine(seed=3)
    package = generate_week(live_canvas, engine)
    updated = regenerate_item(package, item_id, engine, variant=2)
    assert updated.item(item_id).id == item_id
    assert updated.complete


def test_regenerating_an_unknown_item_is_a_clear_error(canvas: Canvas) -> None:
    package = generate_week(canvas)
    with pytest.raises(ContentError, match="找不到条目「nope」"):
        regenerate_item(package, "nope", TemplateEngine())


def test_an_engine_returning_the_wrong_id_fails_that_task(canvas: Canvas, fake_engine) -> None:
    kit = asyncio.run(TemplateEngine().generate(_kit_task(canvas))).output
    fake_engine.enqueue(TaskKind.GROUP_KIT, kit.model_copy(update={"id": "other"}))
    package = build(canvas, fake_engine)
    assert [f.task_id for f in package.failures] == ["group-kit"]
    assert "不符" in package.failures[0].message


def _kit_task(canvas: Canvas):
    from pipelines.tasks import plan_roots

    return next(t for t in plan_roots(canvas) if t.kind is TaskKind.GROUP_KIT)
