"""`campaign-canvas poster CANVAS --item ID --layout NAME --out FILE`: render one poster of the week."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.canvas import load_canvas
from pipelines.content import PosterCopy, WeekPackage
from pipelines.errors import PosterError
from pipelines.poster.layouts import SIZES, check_size
from pipelines.textcheck import printable


def _size(value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"尺寸应写成 宽x高，例如 1080x1920（现在是「{value}」）"
        ) from None
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:
    sizes = "、".join(f"{w}x{h}" for w, h in SIZES)
    parser = subparsers.add_parser("poster", help="渲染本周的一张海报（PNG）")
    parser.add_argument("canvas", type=Path, help="活动画布文件（.toml 或 .json）")
    parser.add_argument(
        "--item", required=True, help="海报编号（poster-…）或它所属帖子的编号（post-…）"
    )
    parser.add_argument("--layout", default=None, help="海报版式名称（默认按海报类型自动选择）")
    parser.add_argument("--size", type=_size, default=None, help=f"尺寸，如 {sizes}")
    parser.add_argument("--out", type=Path, required=True, help="输出 PNG 文件")
    parser.add_argument("--seed", type=int, default=0, help="模板引擎的随机种子（默认 0）")
    parser.set_defaults(func=run)


def find_poster(package: WeekPackage, item: str) -> tuple[int, PosterCopy]:
    """The poster whose id or post id is `item`, with its index in the week."""
    for index, copy in enumerate(package.posters):
        if item in (copy.id, copy.post_id):
            return index, copy
    valid = "、".join(copy.id for copy in package.posters) or "（本周没有海报）"
    raise PosterError(f"本周没有编号为「{printable(item)}」的海报。可用的海报编号：{valid}")


def run(args: argparse.Namespace) -> int:
    from pipelines.poster import layout_for, load_layout, poster_png
    from pipelines.poster.render import size_for
    from pipelines.tasks import generate_week

    if args.size is not None:
        check_size(args.size)  # like an unknown layout, fails before the week is built
    canvas = load_canvas(args.canvas)
    if args.layout is not None:
        load_layout(args.layout)
    package = generate_week(canvas, seed=args.seed)
    index, copy = find_poster(package, args.item)
    layout = args.layout or layout_for(copy, index)
    size = args.size or size_for(package, copy)
    data = poster_png(copy, canvas, layout, size=size, base_dir=args.canvas.parent)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"已写入 {args.out}（{copy.id}，版式 {layout}，{size[0]}×{size[1]}）", file=sys.stderr)
    return 0
