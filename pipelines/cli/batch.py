"""`campaign-canvas batch CANVASES... --out DIR [--concurrency N] [--engine template|openai]`.

Inputs are canvas files, folders of them, or XLSX/CSV tables (one row per product; columns in
`pipelines.batch.inputs`). Re-running after an interruption skips canvases already finished.
SIGTERM stops the batch like Ctrl-C (no new canvas, running ones finish and are counted; exit
143, or 130 for Ctrl-C); a second SIGTERM ends it at once.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from pipelines.auth import require
from pipelines.batch import BatchSummary, Outcome, collect, run_batch
from pipelines.cli.identity import add_identity, cli_user
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
    add_identity(parser)
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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so the batch stops the same way."""


def _terminate(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the batch at once
    raise Terminated


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (and receives the signal)
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    with sigterm_as_interrupt():
        try:
            return _run(args)
        except Terminated:  # before the batch started (reading inputs, opening the store)
            print("收到结束信号（SIGTERM），已中断。", file=sys.stderr)
            return 143


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(cc_engine=args.engine, cc_seed=args.seed)
    require(cli_user(args, settings), "generate")  # in team mode: who runs it, and may they
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
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        print("", file=sys.stderr)
        report(summary, args.out)
        how = "收到结束信号（SIGTERM），已中断" if terminated else "已中断"
        print(f"{how}：再次运行同一命令会跳过已完成的画布，接着生成其余的。", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        store.close()
    report(summary, args.out)
    return 1 if summary.failed else 0
