"""Selling points on the LLM engine: the card and each channel's variants are asked side by side."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from openai_server import Reply, ScriptedServer, answers_from, item_id_of, package_answers

from pipelines.canvas import Canvas, Channel, load_canvas
from pipelines.content import SellingPoints
from pipelines.engines.base import Task, TaskKind
from pipelines.engines.llm import LLMEngine
from pipelines.engines.llm.fabe import CARD_BUDGET, CHANNEL_BUDGET, plan_parts
from pipelines.engines.template import TemplateEngine
from pipelines.errors import EngineError
from pipelines.settings import load_settings
from pipelines.tasks import generate_week

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "examples" / "beauty_live.toml"


@pytest.fixture(scope="module")
def canvas() -> Canvas:
    return load_canvas(EXAMPLE)


@pytest.fixture(scope="module")
def answers(canvas) -> dict[str, str]:
    return package_answers(generate_week(canvas, TemplateEngine(seed=0)))


def fabe_task(canvas: Canvas) -> Task:
    product = canvas.products[0]
    return Task(TaskKind.FABE, f"fabe-{product.id}", canvas, product=product)


def write(server: ScriptedServer, task: Task):
    settings = load_settings(
        env={},
        secrets_file=Path("/nonexistent"),
        cc_engine="openai",
        openai_base_url=server.url,
        cc_model="fabe-model",
        openai_api_key="sk-fabe",
        cc_timeout=10,
        cc_max_retries=0,
    )
    engine = LLMEngine(settings)

    async def run():
        try:
            return await engine.generate(task)
        finally:
            await engine.aclose()

    return asyncio.run(run())


def test_the_card_and_every_channel_are_asked_side_by_side_within_their_budgets(canvas, answers):
    good = answers_from(answers)

    def slow(body: dict[str, Any]) -> Reply:
        reply = good(body)
        reply.stall = 1.0
        return reply

    task = fabe_task(canvas)
    with ScriptedServer(slow) as server:
        result = write(server, task)

    asked = {item_id_of(r.body): r for r in server.requests}
    assert set(asked) == {f"{task.item_id}/{part.key}" for part in plan_parts(canvas)}
    assert len(asked) == 1 + len(canvas.channels)
    starts = [r.at for r in asked.values()]
    assert max(starts) - min(starts) < 1.0  # none waited for another's 1 s answer
    budgets = {key: r.body["max_tokens"] for key, r in asked.items()}
    assert budgets.pop(f"{task.item_id}/card") == CARD_BUDGET
    assert set(budgets.values()) == {CHANNEL_BUDGET}
    points = result.output
    assert isinstance(points, SellingPoints) and points.id == task.item_id
    template = SellingPoints.model_validate_json(answers[task.item_id])
    assert points.model_dump(exclude={"findings"}) == template.model_dump(exclude={"findings"})
    assert result.usage.calls == len(asked)


def test_a_variant_goes_to_the_channel_of_its_part_whatever_the_answer_says(canvas, answers):
    task = fabe_task(canvas)
    good = answers_from(answers)
    moments = f"{task.item_id}/variants/{Channel.MOMENTS.value}"
    first = []

    def mislabelled(body: dict[str, Any]) -> Reply:
        if item_id_of(body) != moments or first:
            return good(body)
        first.append(body)
        data = json.loads(answers[moments])
        data["variants"][0]["channel"] = Channel.XIAOHONGSHU.value  # not a field it may set
        return Reply.json(data)

    with ScriptedServer(mislabelled) as server:
        result = write(server, task)

    calls = [item_id_of(r.body) for r in server.requests]
    assert calls.count(moments) == 2  # the extra field is sent back once, then written right
    by_channel = [v.channel for v in result.output.variants]
    (part,) = [p for p in plan_parts(canvas) if p.channel is Channel.MOMENTS]
    assert by_channel.count(Channel.MOMENTS) == len(part.personas)
    assert "channel" in server.requests[-1].body["messages"][-1]["content"]  # told what was wrong


def test_one_failed_part_fails_the_selling_points_with_every_parts_tokens(canvas, answers):
    task = fabe_task(canvas)
    good = answers_from(answers)
    broken = f"{task.item_id}/variants/{canvas.channels[-1].value}"

    def respond(body: dict[str, Any]) -> Reply:
        return Reply.fault(400, "bad request") if item_id_of(body) == broken else good(body)

    with ScriptedServer(respond) as server, pytest.raises(EngineError) as failed:
        write(server, task)
    spent = failed.value.usage  # the good parts' answers count; the refused call cost nothing
    assert spent.calls == len(server.requests) - 1 == len(canvas.channels)
    assert spent.completion_tokens > 0
