"""What the canvas allows, the posters can draw: long canvas text is shortened with a note,
sizes outside the layouts' range are refused before Pillow sees them."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from pipelines.canvas import Canvas
from pipelines.content import PriceBlock
from pipelines.errors import PosterError
from pipelines.poster import list_layouts, load_layout, render_poster
from pipelines.poster.compose import plan_poster
from pipelines.poster.layouts import MAX_SIDE, MIN_SIDE, SIZES, check_size
from pipelines.poster.palette import palette

LONG_BRAND = "邻" * 30  # the canvas allows 30 characters
LONG_SPECS = "五百克装一盒" * 20  # and 120 for specs, shown under the photo placeholder


def with_long_text(canvas: Canvas) -> Canvas:
    products = [p.model_copy(update={"specs": LONG_SPECS}) for p in canvas.products]
    brand = canvas.brand.model_copy(update={"name": LONG_BRAND})
    return canvas.model_copy(update={"brand": brand, "products": products})


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("name", list_layouts())
def test_the_longest_brand_and_specs_are_shortened_to_fit_with_a_warning(
    name, size, canvas, copies, caplog
) -> None:
    long = with_long_text(canvas)
    variant = load_layout(name).variant(size)
    with caplog.at_level(logging.WARNING, logger="pipelines.poster.compose"):
        plan = plan_poster(
            copies[0], long, variant, palette(tuple(long.brand.colors)), has_image=False
        )
    # The brand box holds the name; the photo placeholder's last block is the product's specs.
    for role, original in (("brand", LONG_BRAND), ("image", LONG_SPECS)):
        if plan.blocks.get(role):
            shown = plan.blocks[role][-1].text
            assert shown.endswith("…") and shown.removesuffix("…") in original, (role, shown)
    shortened = [r.getMessage() for r in caplog.records if "已缩短为" in r.getMessage()]
    assert shortened and all(LONG_BRAND in m or LONG_SPECS in m for m in shortened)


def test_a_text_of_the_copy_itself_still_fails_loudly(canvas, copies) -> None:
    """Only canvas text is shortened: copy that breaks its model's limits is an engine bug."""
    copy = copies[0].model_copy(update={"headline": "很长的标题" * 12})
    with pytest.raises(PosterError, match="主标题"):
        render_poster(copy, canvas, "fresh")


@pytest.mark.parametrize(
    "size",
    [(0, 0), (1, 1920), (MIN_SIDE - 1, 1000), (100_000, 100_000), (20_000, 20_000), (1080, -5)],
)
def test_sizes_outside_the_layouts_range_are_refused_in_chinese(size, canvas, copies) -> None:
    with pytest.raises(PosterError, match=f"宽和高都要在 {MIN_SIDE}–{MAX_SIDE} 像素之间"):
        check_size(size)
    with pytest.raises(PosterError, match="海报尺寸"):
        render_poster(copies[0], canvas, "fresh", size=size)


@pytest.mark.parametrize("size", [*SIZES, (MIN_SIDE, MIN_SIDE), (MAX_SIDE, MAX_SIDE), (750, 1334)])
def test_sizes_in_range_are_kept(size) -> None:
    assert check_size(size) == size


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("name", list_layouts())
def test_the_largest_price_a_canvas_allows_is_set_smaller_never_cut(name, size, canvas, copies):
    priced = next(c for c in copies if c.price is not None)
    price = PriceBlock(
        original=Decimal("9999999.99"),
        promo=Decimal("9999999.98"),
        unit="元/500g",
        note="到手价" * 5,  # 15 of the 16 characters a note may have
    )
    variant = load_layout(name).variant(size)
    copy = priced.model_copy(update={"price": price})
    plan = plan_poster(copy, canvas, variant, palette(tuple(canvas.brand.colors)), has_image=False)
    texts = [block.text for block in plan.blocks["price"]]
    assert "¥9999999.98/500g" in texts
    assert texts[0].startswith("原价 ¥9999999.99") and plan.strikes
