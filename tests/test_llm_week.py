"""A whole week through the LLM engine and the task runner, over real HTTP: call counts, cache,
failure isolation, regenerating one item."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openai_server import (
    Reply,
    ScriptedServer,
    answers_from,
    item_id_of,
    package_answers,
    task_of,
)
from week_factory import with_live

from pipelines.canvas import Canvas, load_canvas
from pipelines.engines.llm import LLMEngine
from pipelines.engines.llm.fabe import plan_parts
from pipelines.engines.llm.livestream import plan_blocks
from pipelines.engines.template import TemplateEngine
from pipelines.settings import load_settings
from pipelines.tasks import MemoryCache, build_week, generate_week, regenerate_item

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "examples" / "fresh_groupbuy.toml"


@pytest.fixture(scope="module")
def week_canvas() -> Canvas:
    return with_live(load_canvas(EXAMPLE))  # a live day, so every kind of task runs


@pytest.fixture(scope="module")
def answers(week_canvas) -> dict[str, str]:
    """What the 'model' answers for each task: the template engine's output for it."""
    return package_answers(generate_week(week_canvas, TemplateEngine(seed=0)))


def engine_for(server: ScriptedServer) -> LLMEngine:
    settings = load_settings(
        env={},
        secrets_file=Path("/nonexistent"),
        cc_engine="openai",
        openai_base_url=server.url,
        cc_model="week-model",
        openai_api_key="sk-week",
        cc_timeout=15,  # above the longest stall a test here scripts
        cc_max_retries=0,
    )
    return LLMEngine(settings)


def requested(server: ScriptedServer) -> Counter[str | None]:
    return Counter(item_id_of(r.body) for r in server.requests)


def build(canvas: Canvas, engine: LLMEngine, cache: MemoryCache | None = None):
    return asyncio.run(build_week(canvas, engine, cache=cache, concurrency=8))


def test_a_whole_week_makes_exactly_one_call_per_planned_item(week_canvas, answers):
    with ScriptedServer(answers_from(answers)) as server:
        package = build(week_canvas, engine_for(server))

    assert package.complete, package.failures
    calls = requested(server)
    assert set(calls.values()) == {1}
    posts = {post.id for post in package.calendar.posts}
    live_parts = {f"livestream/{b.key}" for b in plan_blocks(week_canvas)} | {"livestream/frame"}
    tasks = {"group-kit", "launch", *posts}
    fabe_parts = {
        f"fabe-{p.id}/{part.key}" for p in week_canvas.products for part in plan_parts(week_canvas)
    }
    tasks |= {f"poster-{post.id}" for post in package.calendar.posts if post.needs_poster}
    assert set(calls) == tasks | live_parts | fabe_parts  # the calendar is assembled, not asked
    tasks |= {f"fabe-{p.id}" for p in week_canvas.products}
    assert package.usage.calls == len(server.requests)
    assert package.usage.prompt_tokens > 0 and package.usage.completion_tokens > 0
    assert set(package.task_usage) == tasks | {"livestream"}  # usage is recorded per task too
    assert package.engine == "openai:week-model"


def test_the_week_follows_the_shared_planner_exactly(week_canvas, answers):
    """Day, time, channel, activity, goal, product and poster of every post are the plan's."""
    template = generate_week(week_canvas, TemplateEngine(seed=0)).calendar
    with ScriptedServer(answers_from(answers)) as server:
        package = build(week_canvas, engine_for(server))

    fixed = {"id", "day", "date", "time", "channel", "activity_type", "form", "goal"}
    fixed |= {"product_id", "needs_poster", "poster_kind"}
    assert [p.model_dump(include=fixed) for p in package.calendar.posts] == [
        p.model_dump(include=fixed) for p in template.posts
    ]


def test_every_post_waits_only_for_its_own_products_selling_points(week_canvas, answers):
    stall = 6.0  # long enough for the other products' posts to start on a busy machine
    slow, other = week_canvas.products[0].id, week_canvas.products[1].id
    good = answers_from(answers)

    def respond(body: dict[str, Any]) -> Reply:
        reply = good(body)
        if task_of(body) == f"fabe-{slow}":  # every part of its selling points
            reply.stall = stall
        return reply

    with ScriptedServer(respond) as server:
        package = build(week_canvas, engine_for(server))

    arrived = {item_id_of(r.body): r.at for r in server.requests}
    slow_done = max(arrived[f"fabe-{slow}/{part.key}"] for part in plan_parts(week_canvas)) + stall
    posts = package.calendar.posts
    assert all(arrived[p.id] < slow_done for p in posts if p.product_id in (None, other))
    assert all(arrived[p.id] >= slow_done for p in posts if p.product_id == slow)
    assert package.complete


def test_an_unchanged_rerun_makes_zero_calls(week_canvas, answers):
    cache = MemoryCache()
    with ScriptedServer(answers_from(answers)) as server:
        engine = engine_for(server)
        first = build(week_canvas, engine, cache)
        calls = len(server.requests)
        again = build(week_canvas, engine, cache)

    assert len(server.requests) == calls
    assert again.usage.calls == 0 and first.usage.calls == calls
    assert again.model_dump(exclude={"generated_at", "task_usage"}) == first.model_dump(
        exclude={"generated_at", "task_usage"}
    )


def failing(task_id: str, answers: dict[str, str]):
    """Answer every task well except `task_id`, which always gets an invalid answer."""
    good = answers_from(answers)

    def respond(body: dict[str, Any]) -> Reply:
        if item_id_of(body) == task_id:
            return Reply(content=json.dumps({"names": []}))
        return good(body)

    return respond


def test_one_failing_task_keeps_the_rest_of_the_week_and_a_rerun_retries_only_it(
    week_canvas, answers
):
    cache = MemoryCache()
    with ScriptedServer(failing("group-kit", answers)) as server:
        engine = engine_for(server)
        package = build(week_canvas, engine, cache)
        calls = requested(server)

    assert [f.task_id for f in package.failures] == ["group-kit"]
    assert "3 次" in package.failures[0].message
    assert package.group_kit is None
    assert package.calendar is not None and package.livestream is not None
    assert len(package.selling_points) == len(week_canvas.products)
    assert calls["group-kit"] == 3  # first answer plus two reasks
    assert all(n == 1 for task, n in calls.items() if task != "group-kit")

    with ScriptedServer(answers_from(answers)) as server:
        repaired = build(week_canvas, engine_for(server), cache)
    assert repaired.complete
    assert requested(server) == Counter({"group-kit": 1})


def test_a_failed_selling_point_skips_only_what_depends_on_it(week_canvas, answers):
    product = week_canvas.products[1]
    good = answers_from(answers)

    def respond(body: dict[str, Any]) -> Reply:
        if item_id_of(body) == f"fabe-{product.id}/card":
            return Reply.fault(400, "bad request")
        return good(body)

    with ScriptedServer(respond) as server:
        package = build(week_canvas, engine_for(server))

    failed = {f.task_id: f.skipped for f in package.failures}
    assert failed[f"fabe-{product.id}"] is False
    assert failed["calendar"] is True and failed["livestream"] is True
    assert package.group_kit is not None
    assert len(package.selling_points) == len(week_canvas.products) - 1
    assert requested(server)[f"fabe-{product.id}/card"] == 1  # a 400 is never retried


def test_regenerating_one_item_makes_exactly_one_call(week_canvas, answers):
    with ScriptedServer(answers_from(answers)) as server:
        package = build(week_canvas, engine_for(server))
    post = package.calendar.posts[0]
    rewritten = json.loads(answers[post.id]) | {
        "title": "换个说法的新标题",
        "body": "重写后的正文。",
    }

    with ScriptedServer() as server:
        server.script(Reply.json(rewritten))
        updated = regenerate_item(package, post.id, engine_for(server))

    assert len(server.requests) == 1
    assert item_id_of(server.requests[0].body) == post.id
    assert updated.item(post.id).title == "换个说法的新标题"
    assert updated.item(post.id).time == post.time
    assert updated.usage.calls == package.usage.calls + 1


def test_the_week_command_runs_on_the_openai_engine_and_reruns_from_its_disk_cache(
    week_canvas, answers, monkeypatch, tmp_path, capsys
):
    from pipelines.cli import main

    monkeypatch.chdir(tmp_path)  # the disk cache goes under ./data
    with ScriptedServer(answers_from(answers)) as server:
        for name, value in {
            "OPENAI_BASE_URL": server.url,
            "OPENAI_API_KEY": "sk-cli-secret",
            "CC_MODEL": "cli-model",
            "CC_PROVIDER": "vllm",
        }.items():
            monkeypatch.setenv(name, value)
        path = tmp_path / "canvas.json"  # the canvas the answers were written for
        path.write_text(week_canvas.model_dump_json(), encoding="utf-8")
        args = ["week", str(path), "--engine", "openai", "--out", "out", "--no-posters"]
        assert main(args) == 0
        calls = len(server.requests)
        assert main(args) == 0

    out = capsys.readouterr().out
    assert f"调用 {calls} 次" in out
    assert len(server.requests) == calls  # the second run came from the disk cache
    saved = json.loads((tmp_path / "out" / "package.json").read_text(encoding="utf-8"))
    assert saved["engine"] == "openai:cli-model"
    assert "sk-cli-secret" not in out + json.dumps(saved)
