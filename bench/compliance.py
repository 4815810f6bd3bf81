"""Compliance scanning speed on each example's week package (template engine).

Figures per package: its characters, the time to scan every item against its canvas
(`scan_package`, which includes walking the items for their texts), characters per second, and
two baselines measured in the same run: merely iterating the same characters in Python, and a
naive checker that loops over the lexicon's words with `str.find` (literal terms only, no
patterns, no context) — what one compiled, first-character-dispatched pattern replaces.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import median_seconds
from pipelines.canvas import load_canvas
from pipelines.compliance import load_lexicon, read_lexicon, scan_package
from pipelines.content import WeekPackage, iter_texts
from pipelines.engines.template import TemplateEngine
from pipelines.tasks import generate_week

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "assets/examples").glob("*.toml"))
TARGET_MS = 20.0


def _texts(package: WeekPackage) -> list[str]:
    return [text for item in package.items() for _, text in iter_texts(item)]


def _iterate(texts: list[str]) -> None:
    for text in texts:
        for _char in text:
            pass


def _naive(texts: list[str], terms: list[str]) -> None:
    normalise = load_lexicon().normalise
    for text in texts:
        normal = normalise(text).text
        for term in terms:
            start = normal.find(term)
            while start >= 0:
                start = normal.find(term, start + 1)


def run() -> str:
    started = time.perf_counter()
    lexicon = read_lexicon()
    load_ms = (time.perf_counter() - started) * 1000
    terms = [t for rule in load_lexicon().rules for t in rule.terms]
    rows, worst, worst_cpu = [], 0.0, 0.0
    for path in EXAMPLES:
        package = generate_week(load_canvas(path), TemplateEngine(seed=0))
        texts = _texts(package)
        chars = sum(map(len, texts))
        scan_package(package)  # warm: per-character sub-patterns compile on first use
        scan = median_seconds(lambda p=package: scan_package(p), 30)
        cpu = median_seconds(lambda p=package: scan_package(p), 30, time.process_time)
        iterate = median_seconds(lambda t=texts: _iterate(t), 30)
        naive = median_seconds(lambda t=texts: _naive(t, terms), 10)
        worst, worst_cpu = max(worst, scan), max(worst_cpu, cpu)
        rows.append(
            f"| {path.stem} | {len(texts)} | {chars:,} | {scan * 1000:.1f} | {cpu * 1000:.1f} | "
            f"{chars / scan / 1e6:.2f} | {iterate * 1000:.2f} | {scan / iterate:.1f}× | "
            f"{naive * 1000:.1f} | {naive / scan:.1f}× |"
        )
    verdict = "met" if worst * 1000 < TARGET_MS else "NOT met"
    return "\n".join(
        [
            "## Compliance checker",
            "",
            "Median of repeated runs over each example's full week package (template engine).",
            "Scan = `scan_package`: every text of every item against the package's canvas, with "
            "each post's channel. Baselines from the same run: iterating the same characters in "
            "Python, and a naive word loop (`str.find` for each of the lexicon's "
            f"{len(terms)} literal terms, no patterns or context).",
            "",
            "| canvas | texts | chars | scan (ms) | scan CPU (ms) | M chars/s | "
            "iterate chars (ms) | scan / iterate | naive word loop (ms) | naive / scan |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Target: a full week package checked in under {TARGET_MS:.0f} ms — {verdict} "
            f"(slowest median {worst * 1000:.1f} ms wall, {worst_cpu * 1000:.1f} ms CPU; the "
            "CPU column is this process's own time, which other load on the machine does not "
            f"inflate). Reading and compiling the lexicon once per process: {load_ms:.1f} ms "
            f"({len(lexicon.rules)} rules).",
        ]
    )


if __name__ == "__main__":
    print(run())
