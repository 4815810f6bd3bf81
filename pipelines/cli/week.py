"""`campaign-canvas week CANVAS --out DIR`: one canvas in, the whole week package out."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TextIO

from pipelines.canvas import load_canvas
from pipelines.content import TaskFailure, WeekPackage
from pipelines.engines.llm.completion import ProviderError
from pipelines.errors import GenerationFailed
from pipelines.render_md import package_markdown
from pipelines.settings import load_settings
from pipelines.tasks import DiskCache, TaskEvent, generate_week
from pipelines.textsafe import excerpt, for_terminal, redact

ANSWER_SHOWN = 300  # characters of a rejected model answer shown with --verbose


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("week", help="由一张活动画布生成一整周内容")
    parser.add_argument("canvas", type=Path, help="活动画布文件（.toml 或 .json）")
    parser.add_argument("--out", type=Path, default=Path("out"), help="输出目录（默认 out/）")
    parser.add_argument("--seed", type=int, default=None, help="模板引擎的随机种子（默认 0）")
    parser.add_argument("--engine", choices=["template", "openai"], default=None, help="生成引擎")
    parser.add_argument("--no-posters", action="store_true", help="不渲染海报图片")
    parser.add_argument("--no-cache", action="store_true", help="不读写答案缓存")
    parser.add_argument(
        "--verbose", action="store_true", help="出错时显示更多细节（含模型不合格回答的开头）"
    )
    parser.set_defaults(func=run)


def error_notes(error: Exception | None, *, verbose: bool, secrets: list[str]) -> list[str]:
    """What a failure's exception adds for the terminal: the provider's note (redacted) and,
    with `verbose`, the start of the model's last rejected answer."""
    lines = []
    if isinstance(error, ProviderError) and error.note:
        lines.append(f"服务商说明：{error.note}")
    if verbose and isinstance(error, GenerationFailed) and error.last_answer:
        answer = excerpt(redact(error.last_answer, secrets), ANSWER_SHOWN)
        lines.append(f"最后一次回答：{answer}")
    return [for_terminal(line) for line in lines]


class Progress:
    """Per-item progress on stderr: a bar with done/total counts and the time left.

    On a terminal it is one line redrawn in place, naming the item that just settled; a failed
    or skipped item is also printed on a line of its own, so it stays readable. When stderr is a
    file or a pipe, one plain line per settled item (no carriage returns, no escapes). Control
    characters and escapes from task messages are removed either way.

    The time left is the time per settled item so far times the items still to settle; the
    total grows when the runner learns of more tasks (the posters of a calendar).
    """

    WIDTH = 20
    CLEAR = "\x1b[K"  # erase to the end of the line (written by us, never from a message)

    def __init__(self, *, verbose: bool, secrets: list[str], stream: TextIO | None = None) -> None:
        self.verbose = verbose
        self.secrets = secrets
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.settled: set[str] = set()
        self.started = time.monotonic()
        self.drawn = False  # a redrawn line is on the terminal, not yet ended

    def __call__(self, event: TaskEvent) -> None:
        if event.state not in {"done", "cached", "failed", "skipped"}:
            return
        self.settled.add(event.task_id)
        mark = {"done": "✓", "cached": "↺", "failed": "✗", "skipped": "–"}[event.state]
        detail = f"：{event.message}" if event.message else ""
        bar = self.bar(event.planned)
        notes = error_notes(event.error, verbose=self.verbose, secrets=self.secrets)
        if not self.tty:
            self._line(f"  {bar} {mark} {event.task_id}{detail}")
            for note in notes:
                self._line(f"      {note}")
            return
        if event.state in {"failed", "skipped"} or notes:
            self._end()
            self._line(f"  {mark} {event.task_id}{detail}")
            for note in notes:
                self._line(f"      {note}")
        self.stream.write(f"\r  {for_terminal(f'{bar} {mark} {event.task_id}')}{self.CLEAR}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the redrawn line (call once the week is written)."""
        self._end()

    def _end(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def _line(self, text: str) -> None:
        self.stream.write(for_terminal(text) + "\n")
        self.stream.flush()

    def bar(self, planned: int) -> str:
        done = len(self.settled)
        total = max(planned, done)
        filled = self.WIDTH * done // total if total else self.WIDTH
        left = ""
        if done < total:
            seconds = (time.monotonic() - self.started) / done * (total - done)
            left = f" 约剩 {seconds:.0f} 秒"
        return f"[{'█' * filled}{'░' * (self.WIDTH - filled)}] {done}/{total}{left}"


def say(text: str, *, err: bool = True) -> None:
    print(for_terminal(text), file=sys.stderr if err else sys.stdout)


def _report_failures(failures: list[TaskFailure]) -> None:
    """Root causes first (the package lists them so), then what was skipped because of them."""
    for failure in failures:
        say(f"未完成：{failure.task_id}：{failure.message}")


def _write(package: WeekPackage, args: argparse.Namespace) -> list[Path]:
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "package.json").write_text(package.model_dump_json(indent=2), encoding="utf-8")
    (args.out / "package.md").write_text(package_markdown(package), encoding="utf-8")
    written = [args.out / "package.json", args.out / "package.md"]
    if not args.no_posters and package.posters:
        from pipelines.poster import write_week_posters

        written += write_week_posters(package, args.out / "posters", base_dir=args.canvas.parent)
    return written


def run(args: argparse.Namespace) -> int:
    if args.verbose:
        # Our own debug lines (an internal error's traceback); the libraries' stay quiet.
        logging.basicConfig(format="  %(name)s：%(message)s")
        logging.getLogger("pipelines").setLevel(logging.DEBUG)
    settings = load_settings(cc_engine=args.engine, cc_seed=args.seed)
    canvas = load_canvas(args.canvas)
    from pipelines.engines.factory import make_engine

    engine = make_engine(settings, engine=settings.cc_engine, seed=settings.cc_seed)
    cache = None if args.no_cache else DiskCache(settings.cc_data_dir / "cache")
    say(f"正在生成「{canvas.name}」（引擎：{engine.name}）…")
    progress = Progress(verbose=args.verbose, secrets=[settings.api_key])
    try:
        package = generate_week(
            canvas,
            engine,
            cache=cache,
            concurrency=settings.cc_max_concurrency,
            on_event=progress,
        )
    finally:
        progress.close()
    failed = len(package.failures)
    if next(package.items(), None) is None:
        _report_failures(package.failures)
        say(f"没有生成任何内容（{failed} 个任务失败），未写入任何文件。")
        return 1
    written = _write(package, args)
    counts = "，".join(f"{k} {v}" for k, v in package.counts().items() if v)
    say(
        f"完成：{counts}" if not failed else f"部分完成（{failed} 个任务未完成）：{counts}",
        err=False,
    )
    if package.usage.calls:
        say(f"调用 {package.usage.calls} 次，tokens {package.usage.total_tokens}", err=False)
    say(f"已写入 {args.out}/（{len(written)} 个文件）", err=False)
    _report_failures(package.failures)
    return 1 if failed else 0
