"""The LLM engine against a local OpenAI-compatible server with a fixed latency per call.

The server answers every task with the template engine's output for it, after `LATENCY` seconds.
Figures: calls, wall time, wall / critical-path lower bound (graph depth × latency), speed-up
over the same tasks one at a time (concurrency 1), and calls on an unchanged rerun.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from pipelines.canvas import Canvas, load_canvas
from pipelines.content import WeekPackage
from pipelines.engines.llm import LLMEngine
from pipelines.engines.template import TemplateEngine
from pipelines.settings import load_settings
from pipelines.tasks import MemoryCache, build_week, generate_week

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the scripted server lives with the tests

from openai_server import ScriptedServer, answers_from, package_answers  # noqa: E402

LATENCY = 0.3  # seconds per call, simulated by the server
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.toml"))


def depth(package: WeekPackage) -> int:
    """Longest dependency chain: FABE → calendar → poster copy (2 without posters)."""
    return 3 if package.posters else 2


def timed_build(canvas: Canvas, engine: LLMEngine, *, concurrency: int, cache=None):
    started = time.perf_counter()
    package = asyncio.run(build_week(canvas, engine, cache=cache, concurrency=concurrency))
    return package, time.perf_counter() - started


def measure(path: Path) -> str:
    canvas = load_canvas(path)
    answers = package_answers(generate_week(canvas, TemplateEngine(seed=0)))
    with ScriptedServer(answers_from(answers), latency=LATENCY) as server:
        settings = load_settings(
            env={},
            secrets_file=Path("/nonexistent"),
            cc_engine="openai",
            openai_base_url=server.url,
            cc_model="bench-model",
            openai_api_key="sk-bench",
        )
        engine = LLMEngine(settings)
        concurrency = settings.cc_max_concurrency
        cache = MemoryCache()
        package, wall = timed_build(canvas, engine, concurrency=concurrency, cache=cache)
        calls = len(server.requests)
        _, rerun_wall = timed_build(canvas, engine, concurrency=concurrency, cache=cache)
        rerun_calls = len(server.requests) - calls
        _, serial = timed_build(canvas, engine, concurrency=1)
    if not package.complete:
        raise RuntimeError(f"{path.name}: {[f.message for f in package.failures]}")
    bound = depth(package) * LATENCY
    return (
        f"| {path.stem} | {calls} | {depth(package)} | {wall:.2f} | {bound:.2f} | "
        f"{wall / bound:.2f} | {serial:.2f} | {serial / wall:.1f}× | {rerun_calls} | "
        f"{rerun_wall * 1000:.0f} |"
    )


def run() -> str:
    rows = [measure(path) for path in EXAMPLES]
    return "\n".join(
        [
            "## LLM engine (local OpenAI-compatible server, real HTTP)",
            "",
            f"Every call waits {LATENCY * 1000:.0f} ms at the server, which answers with the template "
            "engine's output for the task (JSON schema mode, default concurrency "
            f"{load_settings(env={}, secrets_file=Path('/nonexistent')).cc_max_concurrency}). "
            "Lower bound = depth of the task graph × latency. Baseline: the same tasks one at a "
            "time (concurrency 1), measured in the same run. Targets: wall / bound ≤ 1.25, "
            "speed-up ≥ 5× where the graph allows it (the speed-up cannot exceed calls / depth), "
            "0 calls on an unchanged rerun.",
            "",
            "| canvas | calls | depth | wall (s) | lower bound (s) | wall / bound | "
            "one by one (s) | speed-up | rerun calls | rerun (ms) |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )


if __name__ == "__main__":
    print(run())
