"""`campaign-canvas batch CANVASES... --out DIR [--concurrency N] [--engine template|openai]`.

Inputs are canvas files, folders of them, or XLSX/CSV tables (one row per product; columns in
`pipelines.batch.inputs`). Re-running after an interruption skips canvases already finished.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from pipelines.batch import BatchSummary, Outcome, collect, run_batch
from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.textsafe import for_terminal

MARKS = {"done": "✓", "skipped": "↺", "failed": "✗"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch", help="批量生成：多张画布（文件、文件夹或每行一个商品的 XLSX/CSV），可中断后续跑"
    )
    parser.add_argument("canvases", nargs="+", type=Path, help="画布文件、文件夹或表格")
    parser.add_argument("--out", type=Path, required=True, help="输出目录")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="同时生成的画布数（默认 CPU 核数）",
    )
    parser.add_argument("--engine", choices=["template", "openai"], default=None, help="生成引擎")
    parser.add_argument("--seed", type=int, default=None, help="模板引擎的随机种子")
    parser.add_argument("--no-posters", action="store_true", help="不渲染海报图片")
    parser.set_defaults(func=run)


class Progress:
    """One redrawn line on a terminal; one line per canvas when stderr is a file or pipe."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, outcome: Outcome, summary: BatchSummary) -> None:
        count = len(summary.outcomes)
        if self.tty:
            width = 24
            filled = width * count // max(self.total, 1)
            bar = "█" * filled + "·" * (width - filled)
            line = (
                f"\r[{bar}] {count}/{self.total} 完成 {summary.done} 跳过 {summary.skipped} "
                f"失败 {summary.failed}"
            )
            self.stream.write(line + ("\n" if count == self.total else ""))
        else:
            line = f"[{count}/{self.total}] {MARKS[outcome.status]} {outcome.source}"
            self.stream.write(for_terminal(line) + "\n")
        self.stream.flush()


def report(summary: BatchSummary, out: Path) -> None:
    print(
        f"完成 {summary.done} 个，跳过 {summary.skipped} 个（已完成或重复），失败 {summary.failed} 个；"
        f"结果在 {out}/ 和数据库里"
    )
    for outcome in summary.of("failed"):
        print(for_terminal(f"✗ {outcome.source}：{outcome.detail}"))


def run(args: argparse.Namespace) -> int:
    settings = load_settings(cc_engine=args.engine, cc_seed=args.seed)
    inputs = collect(args.canvases)
    args.out.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    summary = BatchSummary()
    try:
        run_batch(
            inputs,
            args.out,
            store,
            settings,
            concurrency=max(1, args.concurrency),
            posters=not args.no_posters,
            on_outcome=Progress(len(inputs)),
            summary=summary,
        )
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        report(summary, args.out)
        print("已中断：再次运行同一命令会跳过已完成的画布，接着生成其余的。", file=sys.stderr)
        return 130
    finally:
        store.close()
    report(summary, args.out)
    return 1 if summary.failed else 0
