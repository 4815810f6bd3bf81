"""`campaign-canvas week CANVAS --out DIR`: one canvas in, the whole week package out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.canvas import load_canvas
from pipelines.render_md import package_markdown
from pipelines.settings import load_settings
from pipelines.tasks import DiskCache, TaskEvent, generate_week


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("week", help="由一张活动画布生成一整周内容")
    parser.add_argument("canvas", type=Path, help="活动画布文件（.toml 或 .json）")
    parser.add_argument("--out", type=Path, default=Path("out"), help="输出目录（默认 out/）")
    parser.add_argument("--seed", type=int, default=None, help="模板引擎的随机种子（默认 0）")
    parser.add_argument("--engine", choices=["template", "openai"], default=None, help="生成引擎")
    parser.add_argument("--no-posters", action="store_true", help="不渲染海报图片")
    parser.add_argument("--no-cache", action="store_true", help="不读写答案缓存")
    parser.set_defaults(func=run)


def _progress(event: TaskEvent) -> None:
    if event.state in {"done", "cached", "failed", "skipped"}:
        mark = {"done": "✓", "cached": "↺", "failed": "✗", "skipped": "–"}[event.state]
        detail = f"：{event.message}" if event.message else ""
        print(f"  {mark} {event.task_id}{detail}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(cc_engine=args.engine, cc_seed=args.seed)
    canvas = load_canvas(args.canvas)
    from pipelines.engines.factory import make_engine

    engine = make_engine(settings, engine=settings.cc_engine, seed=settings.cc_seed)
    cache = None if args.no_cache else DiskCache(settings.cc_data_dir / "cache")
    print(f"正在生成「{canvas.name}」（引擎：{engine.name}）…", file=sys.stderr)
    package = generate_week(
        canvas,
        engine,
        cache=cache,
        concurrency=settings.cc_max_concurrency,
        on_event=_progress,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "package.json").write_text(package.model_dump_json(indent=2), encoding="utf-8")
    (args.out / "package.md").write_text(package_markdown(package), encoding="utf-8")
    written = [args.out / "package.json", args.out / "package.md"]
    if not args.no_posters and package.posters:
        from pipelines.poster import write_week_posters

        written += write_week_posters(package, args.out / "posters", base_dir=args.canvas.parent)
    counts = "，".join(f"{k} {v}" for k, v in package.counts().items() if v)
    print(f"完成：{counts}")
    if package.usage.calls:
        print(f"调用 {package.usage.calls} 次，tokens {package.usage.total_tokens}")
    print(f"已写入 {args.out}/（{len(written)} 个文件）")
    for failure in package.failures:
        print(f"未完成：{failure.task_id}：{failure.message}", file=sys.stderr)
    return 1 if package.failures else 0
