"""Template engine cost per task kind, against loading and validating the same canvas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench import median_seconds
from pipelines.canvas import Canvas, load_canvas
from pipelines.engines.base import Task, TaskKind
from pipelines.engines.template import TemplateEngine

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "assets/examples").glob("*.toml"))


def median_ms(action: Callable[[], object], repeat: int = 30) -> float:
    return median_seconds(action, repeat) * 1000


def _tasks(canvas: Canvas, engine: TemplateEngine) -> dict[str, list[Task]]:
    """One list of tasks per kind, with the real dependencies filled in (as the runner does)."""
    fabe = [Task(TaskKind.FABE, f"fabe-{p.id}", canvas, product=p) for p in canvas.products]
    points = tuple(engine.compose(t) for t in fabe)
    calendar = engine.compose(Task(TaskKind.CALENDAR, "calendar", canvas, selling_points=points))
    tasks = {
        "卖点（全部商品）": fabe,
        "一周日历": [Task(TaskKind.CALENDAR, "calendar", canvas, selling_points=points)],
        "海报文案（全部）": [
            Task(TaskKind.POSTER_COPY, f"poster-{p.id}", canvas, post=p)
            for p in calendar.posts
            if p.needs_poster
        ],
        "社群物料": [Task(TaskKind.GROUP_KIT, "group-kit", canvas)],
    }
    if canvas.burst.livestream_day is not None:
        tasks["直播脚本"] = [Task(TaskKind.LIVESTREAM, "livestream", canvas, selling_points=points)]
    if canvas.burst.group_buy:
        tasks["开团消息"] = [Task(TaskKind.LAUNCH, "launch", canvas, selling_points=points)]
    return tasks


def run() -> str:
    engine = TemplateEngine(seed=1)
    lines = [
        "## Template engine, per task kind (in-process, no runner)",
        "",
        "Median of 30 runs per cell, in ms; `× load` is the ratio to loading and validating the",
        "same canvas file (the baseline, measured in this run). The runner's own work (cache keys,",
        "validation against the canvas, compliance notes) is in the week package figures.",
        "",
    ]
    for path in EXAMPLES:
        canvas = load_canvas(path)
        load = median_ms(lambda p=path: load_canvas(p))
        tasks = _tasks(canvas, engine)
        cells = {
            kind: median_ms(lambda ts=ts: [engine.compose(t) for t in ts])
            for kind, ts in tasks.items()
        }
        total = sum(cells.values())
        lines += [
            f"### {path.stem} (load + validate {load:.2f} ms)",
            "",
            "| task kind | tasks | ms | × load |",
            "|---|---|---|---|",
            *(
                f"| {kind} | {len(tasks[kind])} | {ms:.2f} | {ms / load:.1f}× |"
                for kind, ms in cells.items()
            ),
            f"| all engine work | {sum(len(t) for t in tasks.values())} | {total:.2f} | "
            f"{total / load:.1f}× |",
            "",
        ]
    return "\n".join(lines).rstrip()
