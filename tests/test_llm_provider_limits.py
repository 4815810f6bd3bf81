"""The LLM engine within a real provider's limits, over real HTTP: every request sends max_tokens
within the output cap, a cut-off answer never reaches the package, a trickling server is cut at
the deadline, tokens of failed attempts are counted, and presets carry their caps."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import openai
import pytest
from openai_server import Profile, Reply, ScriptedServer, answers_from, item_id_of, package_answers
from test_llm_engine import KIT
from week_factory import with_live

from pipelines.canvas import Canvas, load_canvas
from pipelines.engines.base import Task, TaskKind
from pipelines.engines.llm import LLMEngine
from pipelines.engines.llm.completion import ProviderError
from pipelines.engines.llm.limits import TokenBucket, estimate_tokens, rate_limit
from pipelines.engines.template import TemplateEngine
from pipelines.errors import GenerationFailed
from pipelines.settings import DEFAULT_OUTPUT_CAP, PROVIDERS, load_settings
from pipelines.tasks import build_week, generate_week

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "examples" / "fresh_groupbuy.toml"
NO_FILE = Path("/nonexistent")


@pytest.fixture(scope="module")
def week_canvas() -> Canvas:
    return with_live(load_canvas(EXAMPLE))


@pytest.fixture(scope="module")
def answers(week_canvas) -> dict[str, str]:
    return package_answers(generate_week(week_canvas, TemplateEngine(seed=0)))


def engine_for(server: ScriptedServer, **overrides: Any) -> LLMEngine:
    values: dict[str, Any] = {
        "cc_engine": "openai",
        "openai_base_url": server.url,
        "cc_model": "limits-model",
        "openai_api_key": "sk-limits",
        "cc_timeout": 5,
        "cc_max_retries": 0,
        "cc_max_concurrency": 16,
    } | overrides
    return LLMEngine(load_settings(env={}, secrets_file=NO_FILE, **values))


def build(canvas: Canvas, engine: LLMEngine):
    return asyncio.run(build_week(canvas, engine, concurrency=16))


def kit(canvas: Canvas) -> Task:
    return Task(TaskKind.GROUP_KIT, "group-kit", canvas)


# --- max_tokens on every request ---------------------------------------------------------------


@pytest.mark.parametrize("cap", [None, 1000])
def test_every_request_of_a_week_carries_max_tokens_within_the_cap(week_canvas, answers, cap):
    profile = Profile(cap=cap or DEFAULT_OUTPUT_CAP, default_max_tokens=4096)
    overrides = {"cc_max_output_tokens": cap} if cap else {}
    with ScriptedServer(answers_from(answers), profile=profile) as server:
        package = build(week_canvas, engine_for(server, **overrides))

    assert package.complete, package.failures
    sent = [r.body.get("max_tokens") for r in server.requests]
    assert all(isinstance(n, int) and 0 < n <= min(cap or 1500, 1500) for n in sent)


def test_no_answer_of_a_week_needs_more_than_1500_tokens(week_canvas, answers):
    """The stand-in answers (the template engine's words) fit the room each request gives."""
    with ScriptedServer(answers_from(answers), profile=Profile(cap=4096)) as server:
        package = build(week_canvas, engine_for(server))

    assert package.complete, package.failures
    assert len(server.requests) == package.usage.calls  # one answer each: none was cut
    assert max(estimate_tokens(answers[item_id_of(r.body)]) for r in server.requests) <= 1500


# --- cut-off answers ---------------------------------------------------------------------------


def test_a_cut_off_answer_never_reaches_the_package_even_when_it_parses(server, canvas):
    whole = json.dumps(KIT, ensure_ascii=False)
    server.script(Reply(content=whole, finish_reason="length"), Reply.json(KIT))
    result = asyncio.run(engine_for(server).generate(kit(canvas)))

    assert len(server.requests) == 2  # the cut one was asked again, not used
    first, second = (r.body["max_tokens"] for r in server.requests)
    assert second == 2 * first  # with more room
    assert "被截断" in server.requests[1].messages[-1]["content"]
    assert result.usage.calls == 2


def test_an_answer_the_provider_always_cuts_fails_the_task_and_stays_out(week_canvas, answers):
    good = answers_from(answers)

    def respond(body: dict[str, Any]) -> Reply:
        reply = good(body)
        if item_id_of(body) == "group-kit":
            reply.finish_reason = "length"
        return reply

    with ScriptedServer(respond) as server:
        package = build(week_canvas, engine_for(server))

    assert package.group_kit is None
    assert [f.task_id for f in package.failures] == ["group-kit"]
    assert "被截断" in package.failures[0].message


def test_the_profile_cap_cuts_a_long_answer_with_finish_reason_length(canvas):
    long = {**KIT, "announcement": "本周暖锅季开团。" * 60}
    with ScriptedServer(profile=Profile(cap=200)) as server:
        server.script(*[Reply.json(long)] * 3)
        with pytest.raises(GenerationFailed, match="被截断"):
            asyncio.run(engine_for(server).generate(kit(canvas)))
    assert [r.body["max_tokens"] for r in server.requests] == [1500, 3000, 4096]


# --- deadline ----------------------------------------------------------------------------------


def test_a_server_that_trickles_bytes_is_cut_at_the_deadline(server, canvas):
    # One byte every 0.3 s: each read succeeds within CC_TIMEOUT, the whole answer never would.
    server.script(Reply(content=json.dumps(KIT, ensure_ascii=False), trickle=0.3))
    engine = engine_for(server, cc_deadline=1.5)
    with pytest.raises(ProviderError, match="CC_DEADLINE"):
        asyncio.run(engine.generate(kit(canvas)))


# --- tokens of failed attempts -----------------------------------------------------------------


def test_tokens_of_attempts_that_finally_fail_are_counted_in_the_week(week_canvas, answers):
    good = answers_from(answers)

    def respond(body: dict[str, Any]) -> Reply:
        if item_id_of(body) == "group-kit":
            return Reply.json({"names": []})
        return good(body)

    with ScriptedServer(respond) as server:
        package = build(week_canvas, engine_for(server))

    spent = package.task_usage["group-kit"]
    assert spent.calls == 3 and spent.prompt_tokens > 0 and spent.completion_tokens > 0
    assert package.usage.calls == len(server.requests)


def test_tokens_spent_before_a_provider_error_are_counted(server, canvas):
    server.script(Reply.json({"names": []}), Reply.fault(400, "bad request"))
    with pytest.raises(ProviderError) as raised:
        asyncio.run(engine_for(server).generate(kit(canvas)))
    assert raised.value.usage.calls == 1 and raised.value.usage.completion_tokens > 0


# --- rate limits -------------------------------------------------------------------------------


def test_a_token_bucket_lets_a_minutes_worth_through_then_makes_callers_wait():
    bucket = TokenBucket(60)
    assert [bucket.take(1) for _ in range(60)] == [0.0] * 60
    assert 0.5 < bucket.take(1) <= 1.01  # the 61st waits about a second
    bucket.give_back(30)
    assert bucket.take(1) == 0.0


def test_engines_with_the_same_key_share_one_limit_and_other_keys_do_not():
    one = rate_limit("http://h/v1", "sk-a", 60, 10_000)
    assert rate_limit("http://h/v1", "sk-a", 60, 10_000) is one
    assert rate_limit("http://h/v1", "sk-b", 60, 10_000) is not one


def test_requests_wait_for_the_request_bucket(server, canvas):
    server.script(*[Reply.json(KIT)] * 3)
    engine = engine_for(server, cc_rpm=120, openai_api_key="sk-rpm-test")
    limit = rate_limit(server.url, "sk-rpm-test", 120, None)
    limit.requests.level = 1  # one request left in this minute: the next waits half a second

    async def two() -> None:
        await engine.generate(kit(canvas))
        await engine.generate(kit(canvas))

    asyncio.run(two())
    first, second = (r.at for r in server.requests)
    assert second - first >= 0.4


# --- presets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "cap"),
    [
        ("openai", 16384),
        ("deepseek", 8192),
        ("qwen", 8192),
        ("moonshot", 4096),
        ("ollama", 2048),
        ("vllm", 4096),
    ],
)
def test_each_preset_carries_its_output_cap_and_json_mode(provider, cap):
    settings = load_settings(env={"CC_PROVIDER": provider}, secrets_file=NO_FILE)
    assert settings.output_cap == cap == PROVIDERS[provider].max_output_tokens
    assert settings.json_mode == PROVIDERS[provider].json_mode


def test_cc_max_output_tokens_overrides_the_preset_and_caps_every_request(server, canvas):
    env = {"CC_PROVIDER": "deepseek", "CC_MAX_OUTPUT_TOKENS": "700"}
    assert load_settings(env=env, secrets_file=NO_FILE).output_cap == 700
    assert load_settings(env={}, secrets_file=NO_FILE).output_cap == DEFAULT_OUTPUT_CAP
    server.script(Reply.json(KIT))
    asyncio.run(engine_for(server, cc_max_output_tokens=700).generate(kit(canvas)))
    assert server.requests[0].body["max_tokens"] == 700


# --- the test server's stream ------------------------------------------------------------------


def test_the_profile_streams_server_sent_events_the_sdk_can_read():
    async def read(url: str) -> tuple[str, str | None]:
        client = openai.AsyncOpenAI(base_url=url, api_key="sk-stream", max_retries=0)
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True, max_tokens=20
        )
        text, finish = "", None
        async for chunk in stream:
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
        await client.close()
        return text, finish

    answer = "这是一段用来测试流式输出的中文回答，" * 4
    with ScriptedServer(profile=Profile(tokens_per_second=1000)) as server:
        server.script(Reply(content=answer))
        text, finish = asyncio.run(read(server.url))
    assert finish == "length" and answer.startswith(text) and estimate_tokens(text) <= 20


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


def test_every_request_of_a_week_starts_with_one_stable_prefix(week_canvas, answers):
    """System prompt, then the `<canvas>` block: the same bytes in every call, for prefix caches."""
    with ScriptedServer(answers_from(answers)) as server:
        build(week_canvas, engine_for(server))

    systems = {r.messages[0]["content"] for r in server.requests}
    canvases = {r.messages[1]["content"].split("</canvas>")[0] for r in server.requests}
    assert len(systems) == 1 and len(canvases) == 1
    assert next(iter(canvases)).startswith("<canvas>")
