"""`campaign-canvas batch CANVASES... --out DIR [--concurrency N] [--engine template|openai]`.

Inputs are canvas files, folders of them, or XLSX/CSV tables (one row per product; columns in
`pipelines.batch.inputs`). Re-running after an interruption skips canvases already finished.
SIGTERM stops the batch like Ctrl-C (no new canvas, running ones finish and are counted; exit
143, or 130 for Ctrl-C); a second SIGTERM ends it at once.

`--queue` enqueues the canvases on the batch queue (`CC_BROKER_URL`) for `campaign-canvas
worker`s instead of running them here; `--wait` follows them and writes `--out` from the store.
`--status` shows a queued batch per store, `--retry-failed` sends its failed stores again.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from pipelines.auth import require
from pipelines.batch import BatchSummary, Outcome, collect, output_folder, run_batch
from pipelines.cli.identity import add_identity, cli_user
from pipelines.errors import CampaignCanvasError
from pipelines.settings import load_settings
from pipelines.store import canvas_hash, open_store
from pipelines.textsafe import for_terminal

MARKS = {"done": "✓", "skipped": "↺", "failed": "✗"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch", help="批量生成：多张画布（文件、文件夹或每行一个商品的 XLSX/CSV），可中断后续跑"
    )
    parser.add_argument("canvases", nargs="*", type=Path, help="画布文件、文件夹或表格")
    parser.add_argument(
        "--out", type=Path, default=None, help="输出目录（本机生成或 --wait 时必填）"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="同时生成的画布数（默认 CPU 核数）",
    )
    parser.add_argument("--engine", choices=["template", "openai"], default=None, help="生成引擎")
    parser.add_argument("--seed", type=int, default=None, help="模板引擎的随机种子")
    parser.add_argument("--no-posters", action="store_true", help="不渲染海报图片")
    queued = parser.add_argument_group("队列（多台机器）")
    queued.add_argument(
        "--queue", action="store_true", help="放进批量队列（CC_BROKER_URL），由 worker 生成"
    )
    queued.add_argument(
        "--wait", action="store_true", help="与 --queue 同用：等全部完成并写出 --out"
    )
    queued.add_argument("--status", action="store_true", help="查看队列批次的进度（按门店）")
    queued.add_argument(
        "--retry-failed", action="store_true", help="把批次里失败的门店重新放进队列"
    )
    queued.add_argument(
        "--batch", default=None, help="批次编号（--status / --retry-failed；默认最近一批）"
    )
    add_identity(parser)
    parser.set_defaults(func=run)


class Progress:
    """One redrawn line on a terminal; one line per canvas when stderr is a file or pipe. Both
    give the counts and, while canvases remain, an estimate of the time left (the mean time
    per generated canvas so far times the canvases left; skipped ones cost nothing)."""

    def __init__(
        self, total: int, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.clock = clock
        self.started = clock()
        self.width = 0

    def left(self, summary: BatchSummary) -> str:
        count, worked = len(summary.outcomes), summary.done + summary.failed
        if count >= self.total or not worked:
            return ""
        seconds = (self.clock() - self.started) / worked * (self.total - count)
        shown = f"{seconds:.0f} 秒" if seconds < 90 else f"{seconds / 60:.0f} 分钟"
        return f"，预计还需 {shown}"

    def __call__(self, outcome: Outcome, summary: BatchSummary) -> None:
        count = len(summary.outcomes)
        left = self.left(summary)
        if self.tty:
            width = 24
            filled = width * count // max(self.total, 1)
            bar = "█" * filled + "·" * (width - filled)
            line = (
                f"\r[{bar}] {count}/{self.total} 完成 {summary.done} 跳过 {summary.skipped} "
                f"失败 {summary.failed}{left}"
            )
            padding = " " * max(0, self.width - len(line))  # over the longer line before
            self.width = len(line)
            self.stream.write(line + padding + ("\n" if count == self.total else ""))
        else:
            line = f"[{count}/{self.total}] {MARKS[outcome.status]} {outcome.source}{left}"
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
    if args.status:
        return status(args, settings)
    require(cli_user(args, settings), "generate")  # in team mode: who runs it, and may they
    if args.retry_failed:
        return retry_failed(args, settings)
    if not args.canvases:
        raise CampaignCanvasError("请给出画布文件、文件夹或表格（或用 --status 查看队列进度）")
    if args.queue:
        return queued(args, settings)
    if args.wait:
        raise CampaignCanvasError("--wait 要和 --queue 一起用")
    if args.out is None:
        raise CampaignCanvasError("本机生成需要 --out 输出目录")
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


# --- the queue ---------------------------------------------------------------------------------


def _broker(settings):  # type: ignore[no-untyped-def]
    from pipelines.batch import queue

    broker = queue.make_broker(settings)
    queue.check_broker(broker, settings)
    return broker


def queued(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    """Enqueue the canvases; with --wait, follow them and write --out from the store."""
    from pipelines.batch import ask, queue

    if args.wait and args.out is None:
        raise CampaignCanvasError("--wait 需要 --out 输出目录（从数据库写出结果）")
    broker = _broker(settings)
    inputs = collect(args.canvases)
    store = open_store(settings)
    try:
        asked = ask.enqueue(
            inputs,
            store,
            lambda job: queue.send(broker, job),
            engine=args.engine,
            seed=args.seed,
            posters=not args.no_posters,
        )
        print(
            f"批次 {asked.batch_id}：已放入队列 {len(asked.sent)} 个，已完成（跳过）"
            f"{len(asked.stored)} 个，重复 {len(asked.repeated)} 个，无法读取 {len(asked.unreadable)} 个"
        )
        for outcome in asked.unreadable:
            print(for_terminal(f"✗ {outcome.source}：{outcome.detail}"))
        if not args.wait:
            print(
                f"由 campaign-canvas worker 生成；进度：campaign-canvas batch --status --batch {asked.batch_id}"
            )
            return 1 if asked.unreadable else 0
        return _wait(args, store, asked)
    finally:
        store.close()
        broker.close()


def _wait(args: argparse.Namespace, store, asked) -> int:  # type: ignore[no-untyped-def]
    from pipelines.batch import ask

    summary = BatchSummary()
    total = len(asked.sent) + len(asked.stored) + len(asked.repeated) + len(asked.unreadable)
    progress = Progress(total)
    for outcome in [*asked.unreadable, *asked.repeated, *asked.stored]:
        summary.outcomes.append(outcome)
        progress(outcome, summary)

    def settled(row) -> None:  # type: ignore[no-untyped-def]
        if row.state == "done":
            outcome = Outcome(row.source, "done", "", row.campaign_id)
        else:
            outcome = Outcome(row.source, "failed", row.error or "失败")
        summary.outcomes.append(outcome)
        progress(outcome, summary)

    ask.follow(store, asked.digests, settled)
    args.out.mkdir(parents=True, exist_ok=True)
    for campaign_id in {o.campaign_id for o in summary.outcomes if o.campaign_id}:
        canvas = store.canvas(campaign_id)
        folder = output_folder(args.out, canvas, canvas_hash(canvas))
        try:
            ask.write_folder(store, campaign_id, folder)
        except OSError as exc:
            print(for_terminal(f"✗ 写入 {folder} 失败：{exc.strerror or exc}"))
            return 1
    report(summary, args.out)
    return 1 if summary.failed else 0


def _batch_of(args: argparse.Namespace, store) -> str:  # type: ignore[no-untyped-def]
    from pipelines.batch import jobs

    batch_id = args.batch or jobs.latest_batch(store)
    if batch_id is None:
        raise CampaignCanvasError("数据库里还没有队列批次（用 batch --queue 放入）")
    return batch_id


def status(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    """Each store of the batch with its state, and the counts."""
    from pipelines.batch import jobs

    store = open_store(settings)
    try:
        batch_id = _batch_of(args, store)
        found = jobs.rows(store, batch_id)
    finally:
        store.close()
    if not found:
        raise CampaignCanvasError(f"没有找到批次「{batch_id}」")
    counts = {state: sum(r.state == state for r in found) for state in jobs.STATES}
    shown = "，".join(f"{jobs.STATE_LABELS[s]} {n}" for s, n in counts.items())
    print(f"批次 {batch_id}：共 {len(found)} 个门店；{shown}")
    for row in found:
        store_name = row.brand or row.source
        detail = row.campaign_id or row.error or row.worker or ""
        line = f"{row.label}\t{store_name}\t{row.name}\t第 {row.attempts} 次\t{detail}"
        print(for_terminal(line))
    return 1 if counts["failed"] else 0


def retry_failed(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    """The batch's failed stores back to the queue, alone."""
    from pipelines.batch import ask, jobs, queue

    broker = _broker(settings)
    store = open_store(settings)
    try:
        batch_id = _batch_of(args, store)
        failed = [r.digest for r in jobs.rows(store, batch_id) if r.state == "failed"]
        sent = ask.resend(store, failed, lambda job: queue.send(broker, job))
    finally:
        store.close()
        broker.close()
    print(f"批次 {batch_id}：已把失败的 {sent} 个门店重新放入队列")
    return 0
