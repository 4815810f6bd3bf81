"""The LLM engine against a local OpenAI-compatible server, in two settings.

The server runs in its own process, like a remote endpoint, and answers every request with the
template engine's words for it. Fixed latency: every call takes `LATENCY` seconds whatever it
returns (calls, wall / graph depth × latency, speed-up over one at a time, rerun calls, client
CPU per call). Provider profile: 1 s to the first token, then 30 tokens a second, answers cut at
max_tokens (4K when none is sent) — wall time of a week, wall over the token-weighted critical
path, the largest answer, cut-off answers, input and output tokens, calls on a rerun.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

from pipelines.canvas import Canvas, load_canvas
from pipelines.content import WeekPackage
from pipelines.engines.llm import LLMEngine
from pipelines.engines.llm.limits import estimate_tokens
from pipelines.engines.template import TemplateEngine
from pipelines.settings import load_settings
from pipelines.tasks import MemoryCache, build_week, generate_week

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the scripted server lives with the tests

from openai_server import (  # noqa: E402
    Profile,
    ScriptedServer,
    answers_from,
    item_id_of,
    package_answers,
)

LATENCY = 0.3  # seconds per call, simulated by the server
PROFILE = Profile(first_token=1.0, tokens_per_second=30.0, cap=4096, default_max_tokens=4096)
PROFILE_CONCURRENCY = 32  # CC_MAX_CONCURRENCY for the profile run (the default is 8)
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.toml"))
NO_FILE = Path("/nonexistent")


def _serve(answers: dict[str, str], latency: float, profile, pipe: Connection) -> None:
    with ScriptedServer(answers_from(answers), latency=latency, profile=profile) as server:
        pipe.send(server.url)
        while pipe.recv() == "requests":  # until the parent says stop
            pipe.send([(item_id_of(r.body), r.body.get("max_tokens")) for r in server.requests])


@contextmanager
def remote_server(
    answers: dict[str, str], latency: float, profile: Profile | None = None
) -> Iterator[tuple[str, Connection]]:
    """The scripted server in a child process; yields its base URL and the pipe to it."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(answers, latency, profile, child), daemon=True
    )
    process.start()
    try:
        yield parent.recv(), parent
    finally:
        parent.send("stop")
        process.join(timeout=10)


def engine_for(url: str, **overrides) -> LLMEngine:
    settings = load_settings(
        env={},
        secrets_file=NO_FILE,
        cc_engine="openai",
        openai_base_url=url,
        cc_model="bench-model",
        openai_api_key="sk-bench",
        **overrides,
    )
    return LLMEngine(settings)


def depth(package: WeekPackage) -> int:
    """Longest dependency chain: FABE → post → poster copy (2 without posters)."""
    return 3 if package.posters else 2


def timed_build(canvas: Canvas, engine: LLMEngine, *, concurrency: int, cache=None):
    started, cpu = time.perf_counter(), time.process_time()
    package = asyncio.run(build_week(canvas, engine, cache=cache, concurrency=concurrency))
    return package, time.perf_counter() - started, time.process_time() - cpu


def answers_for(canvas: Canvas) -> dict[str, str]:
    return package_answers(generate_week(canvas, TemplateEngine(seed=0)))


def warm_up(path: Path) -> None:
    """One untimed week with no latency: first-use imports are a process cost, not a week's."""
    canvas = load_canvas(path)
    with remote_server(answers_for(canvas), 0.0) as (url, _):
        asyncio.run(build_week(canvas, engine_for(url)))


def measure(path: Path, concurrency: int) -> str:
    canvas = load_canvas(path)
    with remote_server(answers_for(canvas), LATENCY) as (url, _):
        engine = engine_for(url)
        cache = MemoryCache()
        package, wall, cpu = timed_build(canvas, engine, concurrency=concurrency, cache=cache)
        rerun, rerun_wall, _ = timed_build(canvas, engine, concurrency=concurrency, cache=cache)
        serial_package, serial, _ = timed_build(canvas, engine, concurrency=1)
    if not package.complete or not serial_package.complete:
        raise RuntimeError(f"{path.name}: {[f.message for f in package.failures]}")
    calls = package.usage.calls
    rerun_calls = rerun.usage.calls  # cached answers add no usage
    # Neither the graph's depth nor the concurrency can be beaten: calls / concurrency rounds.
    bound = max(depth(package), math.ceil(calls / concurrency)) * LATENCY
    return (
        f"| {path.stem} | {calls} | {depth(package)} | {wall:.2f} | {bound:.2f} | "
        f"{wall / bound:.2f} | {serial:.2f} | {serial / wall:.1f}× | {calls / depth(package):.1f}× "
        f"| {rerun_calls} | {rerun_wall * 1000:.0f} | {cpu / calls * 1000:.0f} |"
    )


# --- provider profile -----------------------------------------------------------------------


def seconds(tokens: int) -> float:
    return PROFILE.seconds(tokens)


def critical_path(calls: dict[str, list[int]], package: WeekPackage) -> float:
    """The longest chain of dependent calls, each taking first token + its tokens / rate.

    A task's calls (its reasks) add up; the parts of a task (a live script's frame and blocks, a
    product's FABE card and channels) run side by side, so the longest part counts. Along the
    graph: FABE → post → poster copy; all FABE → live script, launch; the group kit alone.
    """

    def own(task_id: str) -> float:
        return sum(seconds(t) for t in calls.get(task_id, []))

    def parts(task_id: str) -> float:
        return max((own(t) for t in calls if t.startswith(f"{task_id}/")), default=own(task_id))

    fabe = {p.product_id: parts(p.id) for p in package.selling_points}
    longest = max(fabe.values(), default=0.0)
    post_done = {}
    for post in package.calendar.posts if package.calendar else []:
        post_done[post.id] = fabe.get(post.product_id, 0.0) + own(post.id)
    chains = [own("group-kit"), longest + own("launch"), *post_done.values()]
    chains += [post_done[p.post_id] + own(p.id) for p in package.posters]
    if any(t.startswith("livestream/") for t in calls):
        chains.append(longest + parts("livestream"))
    return max(chains)


def measure_profile(path: Path) -> str:
    canvas = load_canvas(path)
    answers = answers_for(canvas)
    with remote_server(answers, 0.0, PROFILE) as (url, pipe):
        engine = engine_for(url, cc_max_concurrency=PROFILE_CONCURRENCY)
        cache = MemoryCache()
        package, wall, _ = timed_build(canvas, engine, concurrency=PROFILE_CONCURRENCY, cache=cache)
        rerun, _, _ = timed_build(canvas, engine, concurrency=PROFILE_CONCURRENCY, cache=cache)
        pipe.send("requests")
        sent = pipe.recv()
    if not package.complete:
        raise RuntimeError(f"{path.name}: {[f.message for f in package.failures]}")
    calls: dict[str, list[int]] = {}
    cut = 0
    for item_id, max_tokens in sent:
        whole = estimate_tokens(answers[item_id])
        room = PROFILE.room({"max_tokens": max_tokens})
        cut += whole > room
        calls.setdefault(item_id, []).append(min(whole, room))
    largest = max(t for tokens in calls.values() for t in tokens)
    bound = critical_path(calls, package)
    usage = package.usage
    return (
        f"| {path.stem} | {usage.calls} | {wall:.1f} | {bound:.1f} | {wall / bound:.2f} | "
        f"{largest:,} | {cut} | {usage.prompt_tokens:,} | {usage.completion_tokens:,} | "
        f"{rerun.usage.calls} |"
    )


# Measured once with the engine before issue 14 (commit 267e044: one call per task, the whole
# calendar and live script in one answer each, no max_tokens, concurrency 8), same profile and
# stand-in answers, with tests/openai_server.py's Profile run at 10× speed (0.1 s to first token,
# 300 tokens/s) and the times multiplied back by 10. With no max_tokens the 4K default cut the
# calendar (and live script) answer every time: each failed after three answers, its posters were
# skipped, and the three cut answers' tokens were missing from the totals.
BEFORE = [
    "| beauty_live | 11 | ≈ 460 | 4,096 | 6 | 19,951 | 4,098 | no (calendar, live script) |",
    "| fresh_groupbuy | 8 | ≈ 430 | 4,096 | 3 | 19,328 | 2,344 | no (calendar) |",
    "| mother_baby | 8 | ≈ 435 | 4,096 | 3 | 19,817 | 3,073 | no (calendar) |",
]


def profile_section() -> list[str]:
    rows = [measure_profile(path) for path in EXAMPLES]
    return [
        "### LLM engine on a provider profile (1 s to first token, 30 tokens/s, 4K cap)",
        "",
        "The same server paces each answer like a hosted model (`Profile` in "
        "tests/openai_server.py: 1 s to the first token, then 30 tokens a second; tokens "
        "estimated as 1.4 Chinese characters or 4 other characters each) and cuts it at the "
        'request\'s max_tokens (4K when none is sent), saying `finish_reason: "length"`. '
        f"CC_MAX_CONCURRENCY={PROFILE_CONCURRENCY}. Critical path = the longest chain of dependent "
        "calls, each costing 1 s + its tokens / 30 (FABE → post → poster copy; all FABE → a live "
        "block). Targets: week ≤ 45 s, wall / critical path ≤ 1.2, largest answer ≤ 1,500 "
        "tokens, 0 cut-off answers, 0 calls on an unchanged rerun.",
        "",
        "After (this engine):",
        "",
        "| canvas | calls | week wall (s) | critical path (s) | wall / path | largest answer "
        "(tokens) | cut-off answers | input tokens | output tokens | rerun calls |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Before (one call per task, no max_tokens; measured once, see bench/llm.py):",
        "",
        "| canvas | calls | week wall (s) | largest answer (tokens) | cut-off answers | "
        "input tokens | output tokens (counted) | complete week |",
        "|---|---|---|---|---|---|---|---|",
        *BEFORE,
    ]


def run() -> str:
    concurrency = load_settings(env={}, secrets_file=NO_FILE).cc_max_concurrency
    warm_up(EXAMPLES[0])
    rows = [measure(path, concurrency) for path in EXAMPLES]
    return "\n".join(
        [
            "## LLM engine (local OpenAI-compatible server, real HTTP)",
            "",
            f"The server runs in its own process and waits {LATENCY * 1000:.0f} ms per call, then "
            "answers with the template engine's output for the task (JSON schema mode, default "
            f"concurrency {concurrency}, after one untimed warm-up week). Lower bound = latency × "
            "the larger of the task graph's depth and calls / concurrency (rounded up). Baseline: the same tasks one at a time (concurrency 1), "
            "measured in the same run. Targets: wall / bound ≤ 1.25; ≥ 5× faster than one by one "
            "(the graph caps the speed-up at calls / depth); 0 calls on an unchanged rerun.",
            "",
            "| canvas | calls | depth | wall (s) | lower bound (s) | wall / bound | "
            "one by one (s) | speed-up | cap (calls / depth) | rerun calls | rerun (ms) | "
            "client CPU per call (ms) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Client CPU per call: the process's CPU time during the concurrent week (prompt "
            "rendering, SDK, validation, compliance scans) divided by its calls. The wall time "
            "above the bound is mostly this work on the critical path, so a busy machine raises "
            f"the ratio; load average when measured: {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores.",
            "",
            *profile_section(),
        ]
    )


if __name__ == "__main__":
    print(run())
