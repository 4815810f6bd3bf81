"""Rendering: every style × size renders, text stays in its box and in its font, errors are clear."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from poster_samples import sample_copies

from pipelines.canvas import Canvas
from pipelines.content import PosterCopy, PriceBlock
from pipelines.errors import PosterError
from pipelines.poster import list_layouts, load_layout, poster_png, render_poster
from pipelines.poster.compose import Plan, plan_poster, price_texts
from pipelines.poster.fonts import cmap, font
from pipelines.poster.layouts import SIZES
from pipelines.poster.palette import palette
from pipelines.poster.qr import qr_image, qr_placeholder

CASES = [
    (name, size, index)
    for name in list_layouts()
    for size in SIZES
    for index in range(len(sample_copies()))
]


def case_id(case: tuple[str, tuple[int, int], int]) -> str:
    name, (w, h), index = case
    return f"{name}-{w}x{h}-copy{index}"


def plan(copy: PosterCopy, canvas: Canvas, name: str, size: tuple[int, int]) -> Plan:
    variant = load_layout(name).variant(size)
    return plan_poster(copy, canvas, variant, palette(tuple(canvas.brand.colors)), has_image=False)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_style_and_size_renders(case, canvas, copies) -> None:
    name, size, index = case
    image = render_poster(copies[index], canvas, name, size=size)
    assert image.size == size
    assert image.mode == "RGB"
    assert len(image.getcolors(maxcolors=1_000_000) or []) > 20  # not a blank page


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_drawn_character_exists_in_the_font_it_is_drawn_with(case, canvas, copies) -> None:
    name, size, index = case
    for blocks in plan(copies[index], canvas, name, size).blocks.values():
        for block in blocks:
            assert set(block.text) <= cmap(block.font), block.text


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_text_pixel_leaves_its_box(case, canvas, copies) -> None:
    name, size, index = case
    for role, blocks in plan(copies[index], canvas, name, size).blocks.items():
        for block in blocks:
            alone = Image.new("L", size, 0)
            draw = ImageDraw.Draw(alone)
            face = font(block.font, block.size)
            for x, y, line in block.lines:
                draw.text((x, y), line, font=face, fill=255, anchor="ls")
            ink = alone.getbbox()
            assert ink is not None, (role, block.text)
            left, top, right, bottom = block.box
            assert left <= ink[0] and top <= ink[1] and ink[2] <= right and ink[3] <= bottom, (
                role,
                block.text,
                ink,
                block.box,
            )


def test_emoji_in_the_copy_are_not_drawn(canvas, copies) -> None:
    copy = copies[0].model_copy(update={"headline": "🔥原切牛肉卷🔥", "cta": "扫码进群👇"})
    blocks = plan(copy, canvas, "fresh", (1080, 1920)).blocks
    assert blocks["headline"][0].text == "原切牛肉卷"
    assert blocks["cta"][0].text == "扫码进群"
    render_poster(copy, canvas, "fresh")


@pytest.mark.parametrize(
    ("field", "value", "box"),
    [
        ("headline", "冬日暖锅季原切牛肉卷限时团购" * 6, "主标题"),
        ("subheadline", "整块原切后刨片冷链到小区自提点" * 8, "副标题"),
        ("bullets", ["每批附检疫合格证明" * 12, "次日达"], "卖点"),
        ("urgency", "周三10:00开团限量200份" * 8, "时间/紧迫感"),
    ],
)
def test_text_too_long_for_its_box_is_refused_naming_text_and_box(
    field: str, value: object, box: str, canvas, copies
) -> None:
    data = copies[0].model_dump() | {field: value}
    copy = PosterCopy.model_construct(**data)  # past the model's own length limits on purpose
    with pytest.raises(PosterError, match=f"放不进海报的「{box}」框"):
        render_poster(copy, canvas, "fresh")


def test_an_unknown_character_is_left_out_not_drawn_as_a_box(canvas, copies, caplog) -> None:
    copy = copies[0].model_copy(update={"headline": "好物𠀾推荐"})
    plain = copies[0].model_copy(update={"headline": "好物推荐"})
    drawn = render_poster(copy, canvas, "burst")
    assert drawn.tobytes() == render_poster(plain, canvas, "burst").tobytes()
    assert any("𠀾" in r.getMessage() for r in caplog.records)


def test_the_qr_code_comes_from_the_brand_link(canvas, copies) -> None:
    image = render_poster(copies[0], canvas, "paper", size=(1080, 1920))
    box = load_layout("paper").variant((1080, 1920)).box("qr")
    x0, y0, x1, y1 = box.inner
    region = image.crop((x0, y0, x1, y1))
    assert region.tobytes() == qr_image(canvas.brand.qr_link, x1 - x0).tobytes()


def test_without_a_link_a_marked_placeholder_takes_the_qr_place(canvas, copies) -> None:
    brand = canvas.brand.model_copy(update={"qr_link": None})
    plain = canvas.model_copy(update={"brand": brand})
    image = render_poster(copies[0], plain, "paper", size=(1080, 1920))
    x0, y0, x1, y1 = load_layout("paper").variant((1080, 1920)).box("qr").inner
    muted = palette(tuple(plain.brand.colors))["muted"]
    assert image.crop((x0, y0, x1, y1)).tobytes() == qr_placeholder(x1 - x0, muted).tobytes()


def write_png(path: Path, colour: tuple[int, int, int]) -> None:
    Image.new("RGB", (600, 400), colour).save(path)


def test_the_product_image_of_the_canvas_is_loaded_relative_to_its_folder(
    tmp_path: Path, canvas, copies
) -> None:
    write_png(tmp_path / "beef.png", (20, 40, 220))
    products = [
        p.model_copy(update={"image": "beef.png"}) if p.id == "beef" else p for p in canvas.products
    ]
    with_photo = canvas.model_copy(update={"products": products})
    image = render_poster(copies[0], with_photo, "fresh", base_dir=tmp_path)
    x0, y0, x1, y1 = load_layout("fresh").variant((1080, 1920)).box("image").rect
    assert image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) == (20, 40, 220)


def test_a_missing_product_image_is_a_clear_error(tmp_path: Path, canvas, copies) -> None:
    products = [p.model_copy(update={"image": "gone.png"}) for p in canvas.products]
    broken = canvas.model_copy(update={"products": products})
    with pytest.raises(PosterError, match="找不到商品「原切牛肉卷」的图片"):
        render_poster(copies[0], broken, "fresh", base_dir=tmp_path)


def test_an_image_given_by_the_caller_is_used(canvas, copies) -> None:
    photo = Image.new("RGB", (300, 300), (250, 200, 0))
    image = render_poster(copies[1], canvas, "burst", size=(1080, 1080), product_image=photo)
    x0, y0, x1, y1 = load_layout("burst").variant((1080, 1080)).box("image").rect
    assert image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) == (250, 200, 0)


def test_an_unusual_size_uses_the_closest_variant(canvas, copies) -> None:
    assert render_poster(copies[0], canvas, "fresh", size=(750, 1334)).size == (750, 1334)


def test_poster_png_is_a_png_of_the_poster(canvas, copies) -> None:
    data = poster_png(copies[2], canvas, "burst", size=(1080, 1440))
    assert data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(data)).size == (1080, 1440)


def with_logo(canvas: Canvas, logo: str) -> Canvas:
    return canvas.model_copy(update={"brand": canvas.brand.model_copy(update={"logo": logo})})


@pytest.mark.parametrize("name", list_layouts())
def test_a_brand_logo_sits_just_before_the_brand_name(name: str, tmp_path: Path, canvas, copies):
    Image.new("RGB", (120, 120), (255, 200, 0)).save(tmp_path / "logo.png")
    branded = with_logo(canvas, "logo.png")
    image = render_poster(copies[0], branded, name, base_dir=tmp_path)
    variant = load_layout(name).variant((1080, 1920))
    colours = palette(tuple(branded.brand.colors))
    plan = plan_poster(copies[0], branded, variant, colours, has_image=False, has_logo=True)
    x, y, side = plan.logo
    brand = plan.blocks["brand"][0]
    assert variant.box("brand").inner[0] <= x and x + side < min(lx for lx, _, _ in brand.lines)
    assert image.getpixel((x + side // 2, y + side // 2)) == (255, 200, 0)


def test_a_missing_logo_is_a_clear_error(tmp_path: Path, canvas, copies) -> None:
    with pytest.raises(PosterError, match="找不到品牌 Logo 图片"):
        render_poster(copies[0], with_logo(canvas, "nope.png"), "fresh", base_dir=tmp_path)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (PriceBlock(promo=Decimal("39.90")), ("¥39.9", "活动价", "")),
        (PriceBlock(promo=Decimal("39.9"), unit="元/盒"), ("¥39.9/盒", "活动价", "")),
        (PriceBlock(promo=Decimal("12"), unit="袋", note="到手价"), ("¥12/袋", "到手价", "")),
        (
            PriceBlock(original=Decimal("59.9"), promo=Decimal("39.9"), note="限时"),
            ("¥39.9", "原价 ¥59.9  限时", "¥59.9"),
        ),
    ],
)
def test_price_block_texts(price: PriceBlock, expected: tuple[str, str, str]) -> None:
    assert price_texts(price) == expected


@pytest.mark.parametrize("name", list_layouts())
def test_the_original_price_is_struck_through_and_only_it(name: str, canvas, copies) -> None:
    result = plan(copies[0], canvas, name, (1080, 1920))
    secondary = result.blocks["price"][0]
    x, baseline, line = secondary.lines[0]
    face = font(secondary.font, secondary.size)
    start = x + face.getlength(line[: line.index("¥59.9")])
    (strike,) = result.strikes
    assert abs(strike.x0 - start) <= 1
    assert abs(strike.x1 - (start + face.getlength("¥59.9"))) <= 1
    assert baseline - secondary.size < strike.y < baseline
