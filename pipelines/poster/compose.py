"""Composition: from poster copy + canvas + layout variant to a plan of text blocks and marks.

The plan is separate from drawing so that it can be checked: every character of every block
exists in the block's font, and every block's ink stays inside its box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from pipelines.canvas import Canvas, Product
from pipelines.content import PosterCopy, PosterKind, PriceBlock, format_price
from pipelines.errors import PosterError
from pipelines.poster.fit import Rect, TextBlock, fit_bullets, fit_text
from pipelines.poster.fonts import clean_text, font, pick_font
from pipelines.poster.layouts import ROLE_LABELS, Box, Variant
from pipelines.poster.palette import RGB, resolve

# Shown in the price box of a poster without a price (a label, not a claim).
KIND_LABELS: dict[PosterKind, str] = {
    PosterKind.PRODUCT: "好物推荐",
    PosterKind.ACTIVITY: "本周活动",
    PosterKind.FISSION: "邀请好友",
    PosterKind.PREVIEW: "活动预告",
    PosterKind.RESULTS: "战绩播报",
}
ELLIPSIS = "…"
MIN_SIZE = 14  # px: below this a poster's text is no longer read
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Strike:
    """A line through the struck original price."""

    x0: int
    x1: int
    y: int
    width: int
    color: RGB


@dataclass(frozen=True)
class Dot:
    x: int
    y: int
    r: int
    color: RGB


@dataclass
class Plan:
    """Everything drawn on top of the cached background."""

    blocks: dict[str, list[TextBlock]] = field(default_factory=dict)  # role → blocks
    strikes: list[Strike] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    logo: tuple[int, int, int] | None = None  # left, top, side of the brand logo square


def price_texts(price: PriceBlock) -> tuple[str, str, str]:
    """(promo line, secondary line, struck part of the secondary line)."""
    unit = price.unit.removeprefix("元").strip()
    if unit and not unit.startswith("/"):
        unit = f"/{unit}"
    promo = f"¥{format_price(price.promo)}{unit}"
    note = clean_text(price.note)
    if price.original is None:
        return promo, note or "活动价", ""
    struck = f"¥{format_price(Decimal(price.original))}"
    secondary = f"原价 {struck}" + (f"  {note}" if note else "")
    return promo, secondary, struck


def _text(
    role: str,
    text: str,
    box: Box,
    colours: dict[str, RGB],
    *,
    rect: Rect | None = None,
    sizes: tuple[int, int] | None = None,
    color: str | None = None,
    max_lines: int | None = None,
    font_name: str | None = None,
    valign: str | None = None,
    shorten: bool = False,
    shrink: bool = False,
) -> TextBlock | None:
    """`text` fitted into its box; with `shorten`, text straight from the canvas (a brand name,
    a product's specs) that is too long is cut to what fits, with …, and a warning; with
    `shrink`, text that must stay whole (a price) may go down to half the box's minimum size."""
    text = clean_text(text)
    if not text:
        return None
    low, high = sizes or box.size
    smallest = max(MIN_SIZE, low // 2) if shrink else low

    def fit(candidate: str) -> TextBlock:
        return fit_text(
            candidate,
            rect or box.inner,
            font_name=pick_font(candidate, font_name or box.font),
            sizes=(smallest, high),
            color=resolve(color or box.color, colours),
            label=ROLE_LABELS[role],
            align=box.align,
            valign=valign or box.valign,
            spacing=box.spacing,
            max_lines=max_lines or box.max_lines,
        )

    try:
        return fit(text)  # the largest size that fits, from the box's minimum up
    except PosterError:
        if not shorten:
            raise
    block = _longest_prefix(text, fit)
    log.warning("海报「%s」框放不下「%s」，已缩短为「%s」", ROLE_LABELS[role], text, block.text)
    return block


def _longest_prefix(text: str, fit: Callable[[str], TextBlock]) -> TextBlock:
    """The longest start of `text` followed by … that `fit` accepts (binary search on length)."""
    low, high, best = 1, len(text) - 1, None
    while low <= high:
        middle = (low + high) // 2
        try:
            best, low = fit(text[:middle].rstrip() + ELLIPSIS), middle + 1
        except PosterError:
            high = middle - 1
    return best if best is not None else fit(ELLIPSIS)


def _price(plan: Plan, copy: PosterCopy, box: Box, colours: dict[str, RGB]) -> None:
    x0, y0, x1, y1 = box.inner
    if copy.price is None:
        block = _text(
            "price",
            KIND_LABELS[copy.kind],
            box,
            colours,
            color=box.accent,
            font_name="sans-bold",
            max_lines=1,
        )
        plan.blocks["price"] = [block] if block else []
        return
    promo, secondary, struck = price_texts(copy.price)
    low, high = box.size
    split = y0 + round((y1 - y0) * 0.3)
    small_high = max(18, round(high * 0.3))
    small = (min(small_high, max(16, round(low * 0.4))), small_high)
    top = _text(
        "price",
        secondary,
        box,
        colours,
        rect=(x0, y0, x1, split),
        sizes=small,
        max_lines=1,
        font_name="sans",
        shrink=True,
        shorten=True,  # the price's note may lose its end, never the price
    )
    big = _text(
        "price",
        promo,
        box,
        colours,
        rect=(x0, split, x1, y1),
        color=box.accent,
        max_lines=1,
        font_name="sans-bold",
        shrink=True,  # a price is never shortened: a big one is set smaller
    )
    plan.blocks["price"] = [b for b in (top, big) if b]
    if top and struck and struck in top.lines[0][2]:
        x, baseline, line = top.lines[0]
        face = font(top.font, top.size)
        start = x + round(face.getlength(line[: line.index(struck)]))
        end = start + round(face.getlength(struck))
        width = max(2, top.size // 12)
        plan.strikes.append(Strike(start, end, baseline - round(top.size * 0.33), width, top.color))


def _bullets(plan: Plan, copy: PosterCopy, box: Box, colours: dict[str, RGB]) -> None:
    bullets = [t for t in (clean_text(b) for b in copy.bullets) if t]
    if not bullets:
        return
    blocks, size = fit_bullets(
        bullets,
        box.inner,
        font_name=pick_font("".join(bullets), box.font),
        sizes=box.size,
        color=resolve(box.color, colours),
        label=ROLE_LABELS["bullets"],
        valign=box.valign,
        spacing=box.spacing,
        max_lines=box.max_lines,
    )
    plan.blocks["bullets"] = blocks
    accent = resolve(box.accent, colours)
    left = box.inner[0]
    for block in blocks:
        _, baseline, _ = block.lines[0]
        plan.dots.append(
            Dot(
                left + round(size * 0.3),
                baseline - round(size * 0.36),
                max(3, round(size * 0.18)),
                accent,
            )
        )


def _image_caption(
    plan: Plan, product: Product | None, canvas: Canvas, box: Box, colours: dict[str, RGB]
) -> None:
    """The placeholder panel says where the store's own photo goes (and what it shows),
    instead of faking a photo or repeating the headline."""
    x0, y0, x1, y1 = box.inner
    pad = round(min(x1 - x0, y1 - y0) * 0.12)
    inner = (x0 + pad, y0 + pad, x1 - pad, y1 - pad)
    title = "此处放实拍图"
    detail = (product.specs or product.category) if product else canvas.brand.name
    height = inner[3] - inner[1]
    low, high = box.size
    title_rect = (inner[0], inner[1], inner[2], inner[1] + round(height * 0.66))
    detail_rect = (inner[0], title_rect[3] + round(height * 0.04), inner[2], inner[3])
    blocks = [
        _text("image", title, box, colours, rect=title_rect, max_lines=2, valign="bottom"),
        _text(
            "image",
            detail,
            box,
            colours,
            rect=detail_rect,
            color="muted",
            font_name="sans",
            sizes=(max(14, low // 2), max(16, high // 3)),
            max_lines=2,
            valign="top",
            shorten=True,
        )
        if detail
        else None,
    ]
    plan.blocks["image"] = [b for b in blocks if b]


def _brand(plan: Plan, name: str, box: Box, colours: dict[str, RGB], *, logo: bool) -> None:
    """The brand name; with a logo, a square the height of the box goes just before the name."""
    if not logo:
        block = _text("brand", name, box, colours, shorten=True)
        plan.blocks["brand"] = [block] if block else []
        return
    x0, y0, x1, y1 = box.inner
    side, gap = y1 - y0, max(4, (y1 - y0) // 4)
    block = _text("brand", name, box, colours, rect=(x0 + side + gap, y0, x1, y1), shorten=True)
    plan.blocks["brand"] = [block] if block else []
    start = min(x for x, _, _ in block.lines) if block else x0 + side + gap
    plan.logo = (start - gap - side, y0, side)


def plan_poster(
    copy: PosterCopy,
    canvas: Canvas,
    variant: Variant,
    colours: dict[str, RGB],
    *,
    has_image: bool,
    has_logo: bool = False,
) -> Plan:
    """Fit every text of the poster into its box (raises `PosterError` when one does not fit)."""
    plan = Plan()
    texts = {
        "headline": copy.headline,
        "subheadline": copy.subheadline,
        "urgency": copy.urgency,
        "cta": copy.cta,
    }
    product = next((p for p in canvas.products if p.id == copy.product_id), None)
    for box in variant.boxes:
        if box.role == "brand":
            _brand(plan, canvas.brand.name, box, colours, logo=has_logo)
        elif box.role in texts:
            block = _text(box.role, texts[box.role], box, colours)
            plan.blocks[box.role] = [block] if block else []
        elif box.role == "price":
            _price(plan, copy, box, colours)
        elif box.role == "bullets":
            _bullets(plan, copy, box, colours)
        elif box.role == "image" and not has_image:
            _image_caption(plan, product, canvas, box, colours)
    return plan
