"""Week package build time with the template engine, against merely loading the canvas."""

from __future__ import annotations

import time
from pathlib import Path

from bench import median_seconds
from pipelines.canvas import load_canvas
from pipelines.engines.template import TemplateEngine
from pipelines.tasks import generate_week

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "assets/examples").glob("*.toml"))


def run() -> str:
    rows = []
    for path in EXAMPLES:
        load = median_seconds(lambda p=path: load_canvas(p), 50)
        canvas = load_canvas(path)
        build = median_seconds(lambda c=canvas: generate_week(c, TemplateEngine(seed=1)), 30)
        rows.append(
            f"| {path.stem} | {load * 1000:.2f} | {build * 1000:.1f} | {build / load:.0f}× |"
        )
    canvas = load_canvas(EXAMPLES[0])
    one = median_seconds(lambda: generate_week(canvas, TemplateEngine(seed=1)), 20)
    started = time.perf_counter()
    for seed in range(100):
        generate_week(canvas, TemplateEngine(seed=seed))
    per_canvas_100 = (time.perf_counter() - started) / 100
    return "\n".join(
        [
            "## Week package (template engine, in-process)",
            "",
            "Median of repeated runs. Baseline: loading and validating the same canvas file.",
            "Target: a full package in under 50 ms per canvas.",
            "",
            "| canvas | load + validate (ms) | full week package (ms) | package / load |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Scaling: 1 canvas {one * 1000:.1f} ms; 100 canvases {per_canvas_100 * 1000:.1f} ms "
            f"per canvas — per-canvas ratio 100 vs 1 = {per_canvas_100 / one:.2f} "
            "(1.00 = perfectly linear).",
        ]
    )
