"""Drawing posters: cached backgrounds, product image or placeholder, QR code, text, PNG bytes.

A background (colour, decorative shapes, box fills) depends only on the layout, the size and the
brand colours, so it is drawn once per process and copied for each poster.
"""

from __future__ import annotations

import functools
import io
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageOps

from pipelines.canvas import Canvas, Channel, Product
from pipelines.content import PosterCopy, WeekPackage
from pipelines.errors import PosterError
from pipelines.poster.compose import Plan, plan_poster
from pipelines.poster.fonts import font
from pipelines.poster.images import find_image, fit_image, load_image_file
from pipelines.poster.layouts import (
    Box,
    Layout,
    Variant,
    check_size,
    list_layouts,
    load_layout,
)
from pipelines.poster.palette import RGB, palette, resolve
from pipelines.poster.qr import qr_image, qr_placeholder

# zlib level 3 is ~3× faster than Pillow's default 6 on posters and only ~15% larger.
PNG_COMPRESS_LEVEL = 3
DEFAULT_SIZE = (1080, 1920)


def _layout(layout: str | Layout) -> Layout:
    return layout if isinstance(layout, Layout) else load_layout(layout)


@functools.lru_cache(maxsize=24)  # a 1080×1920 background is 6 MB
def _background(layout: Layout, variant: Variant, colors: tuple[str, ...]) -> Image.Image:
    colours = palette(colors)
    image = Image.new("RGB", variant.size, resolve(variant.background, colours))
    draw = ImageDraw.Draw(image)
    for shape in variant.shapes:
        fill = resolve(shape.fill, colours) if shape.fill else None
        outline = resolve(shape.outline, colours) if shape.outline else None
        if shape.kind == "line":
            draw.line(shape.at, fill=outline or fill, width=max(1, shape.width))
            continue
        x, y, w, h = shape.at
        rect = (x, y, x + w - 1, y + h - 1)
        if shape.kind == "ellipse":
            draw.ellipse(rect, fill=fill, outline=outline, width=shape.width)
        else:
            draw.rounded_rectangle(
                rect, shape.radius, fill=fill, outline=outline, width=shape.width
            )
    for box in variant.boxes:
        if box.fill or box.outline:
            x0, y0, x1, y1 = box.rect
            draw.rounded_rectangle(
                (x0, y0, x1 - 1, y1 - 1),
                box.radius,
                fill=resolve(box.fill, colours) if box.fill else None,
                outline=resolve(box.outline, colours) if box.outline else None,
                width=2 if box.outline else 0,
            )
    return image


@functools.lru_cache(maxsize=32)
def _round_mask(size: tuple[int, int], radius: int) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius, fill=255)
    return mask


@functools.lru_cache(maxsize=16)
def _product_photo(
    path: Path, mtime: float, size: tuple[int, int], mode: str, name: str
) -> Image.Image:
    return fit_image(load_image_file(path, name=name, target=size), size, mode)


def _product(canvas: Canvas, copy: PosterCopy) -> Product | None:
    return next((p for p in canvas.products if p.id == copy.product_id), None)


def _photo(
    product: Product | None, box: Box, given: Image.Image | None, base_dir: Path | None
) -> Image.Image | None:
    x0, y0, x1, y1 = box.rect
    size = (x1 - x0, y1 - y0)
    if given is not None:
        return fit_image(given, size, box.fit)
    if product is None or not product.image:
        return None
    what = f"商品「{product.name}」的图片"
    path = find_image(product.image, base_dir=base_dir, what=what)
    return _product_photo(path, _mtime(path, what), size, box.fit, what)


def _logo(canvas: Canvas, base_dir: Path | None) -> Image.Image | None:
    if not canvas.brand.logo:
        return None
    what = "品牌 Logo 图片"
    path = find_image(canvas.brand.logo, base_dir=base_dir, what=what)
    return _loaded_logo(path, _mtime(path, what))


def _mtime(path: Path, what: str) -> float:
    """Part of the cache key, so a replaced file is read again."""
    try:
        return path.stat().st_mtime
    except OSError:
        raise PosterError(f"{what}无法读取：文件刚被移走或删除") from None


@functools.lru_cache(maxsize=8)
def _loaded_logo(path: Path, mtime: float) -> Image.Image:
    return load_image_file(path, name="品牌 Logo 图片", target=(256, 256))


def _paste_photo(image: Image.Image, photo: Image.Image, box: Box) -> None:
    x0, y0, _, _ = box.rect
    mask = _round_mask(photo.size, box.radius) if box.radius else None
    if photo.mode == "RGBA":
        alpha = photo.getchannel("A")
        if mask is not None:
            alpha = ImageChops.multiply(alpha, mask)
        image.paste(photo.convert("RGB"), (x0, y0), alpha)
    else:
        image.paste(photo, (x0, y0), mask)


def _paste_qr(image: Image.Image, canvas: Canvas, box: Box, colours: dict[str, RGB]) -> None:
    x0, y0, x1, y1 = box.inner
    side = min(x1 - x0, y1 - y0)
    link = canvas.brand.qr_link
    code = qr_image(link, side) if link else qr_placeholder(side, colours["muted"])
    image.paste(code, (x0 + (x1 - x0 - side) // 2, y0 + (y1 - y0 - side) // 2))


def draw_plan(image: Image.Image, plan: Plan) -> None:
    draw = ImageDraw.Draw(image)
    for blocks in plan.blocks.values():
        for block in blocks:
            face = font(block.font, block.size)
            for x, y, line in block.lines:
                draw.text((x, y), line, font=face, fill=block.color, anchor="ls")
    for strike in plan.strikes:
        draw.line((strike.x0, strike.y, strike.x1, strike.y), fill=strike.color, width=strike.width)
    for dot in plan.dots:
        draw.ellipse((dot.x - dot.r, dot.y - dot.r, dot.x + dot.r, dot.y + dot.r), fill=dot.color)


def render_poster(
    copy: PosterCopy,
    canvas: Canvas,
    layout: str | Layout,
    *,
    size: tuple[int, int] | None = None,
    product_image: Image.Image | None = None,
    base_dir: Path | None = None,
) -> Image.Image:
    """Compose one poster (RGB). `base_dir` is the canvas file's folder: relative image and logo
    paths are found there (or in the app's image store), never outside."""
    chosen = _layout(layout)
    size = check_size(tuple(size or DEFAULT_SIZE))  # type: ignore[arg-type]
    variant = chosen.variant(size)
    colors = tuple(canvas.brand.colors)
    colours = palette(colors)
    product = _product(canvas, copy)
    image_box = variant.box("image")
    photo = _photo(product, image_box, product_image, base_dir) if image_box else None
    logo = _logo(canvas, base_dir)
    plan = plan_poster(
        copy, canvas, variant, colours, has_image=photo is not None, has_logo=logo is not None
    )
    image = _background(chosen, variant, colors).copy()
    if photo is not None and image_box is not None:
        _paste_photo(image, photo, image_box)
    if logo is not None and plan.logo is not None:
        x, y, side = plan.logo
        mark = fit_image(logo, (side, side), "contain")
        image.paste(mark.convert("RGB"), (x, y), mark.getchannel("A"))
    qr_box = variant.box("qr")
    if qr_box is not None:
        _paste_qr(image, canvas, qr_box, colours)
    draw_plan(image, plan)
    if image.size != size:  # an unusual size: the closest variant, scaled and padded
        image = ImageOps.pad(image, size, color=resolve(variant.background, colours))
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def poster_png(copy: PosterCopy, canvas: Canvas, layout: str | Layout, **kw) -> bytes:
    """`render_poster` encoded as PNG."""
    return png_bytes(render_poster(copy, canvas, layout, **kw))


def layout_for(copy: PosterCopy, index: int) -> str:
    """A layout for the `index`-th poster of a week: the styles take turns by index, and a
    style not made for the poster's kind passes its turn to the next one that is."""
    names = list_layouts()
    if not names:
        raise PosterError("没有可用的海报版式：assets/layouts 目录为空")
    start = index % len(names)
    turns = names[start:] + names[:start]
    return next((name for name in turns if copy.kind in load_layout(name).kinds), turns[0])


def size_for(package: WeekPackage, copy: PosterCopy) -> tuple[int, int]:
    """小红书 posts get the 3:4 note size; groups and 朋友圈 the tall 9:16 one."""
    posts = package.calendar.posts if package.calendar else []
    post = next((p for p in posts if p.id == copy.post_id), None)
    if post is not None and post.channel == Channel.XIAOHONGSHU:
        return (1080, 1440)
    return DEFAULT_SIZE


def _render_job(job: tuple[PosterCopy, Canvas, str, tuple[int, int], Path | None]) -> bytes:
    copy, canvas, layout, size, base_dir = job
    return poster_png(copy, canvas, layout, size=size, base_dir=base_dir)


def write_week_posters(
    package: WeekPackage, out_dir: Path, *, base_dir: Path | None = None, workers: int | None = None
) -> list[Path]:
    """Write `out_dir/<item-id>.png` for every poster of the week, in parallel across processes."""
    out_dir = Path(out_dir)
    jobs = [
        (copy, package.canvas, layout_for(copy, index), size_for(package, copy), base_dir)
        for index, copy in enumerate(package.posters)
    ]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers > 1 and len(jobs) > 2:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunks = -(-len(jobs) // workers)
            encoded = list(pool.map(_render_job, jobs, chunksize=chunks))
    else:
        encoded = [_render_job(job) for job in jobs]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for (copy, *_), data in zip(jobs, encoded, strict=True):
        path = out_dir / f"{copy.id}.png"
        path.write_bytes(data)
        paths.append(path)
    return paths
