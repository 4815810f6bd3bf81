"""QR codes from the canvas's link (the `qrcode` package), or a clearly marked placeholder."""

from __future__ import annotations

import functools

import qrcode
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_M

from pipelines.poster.fonts import font

PLACEHOLDER_TEXT = "二维码位置"


@functools.lru_cache(maxsize=64)
def qr_image(data: str, side: int, fg: tuple[int, int, int] = (0, 0, 0)) -> Image.Image:
    """A scannable QR code of `data`, `side` px square, dark modules in `fg` on white."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if cell else 255 for row in matrix for cell in row])
    # Whole pixels per module keep the code crisp; centre it on a white square.
    scale = max(1, side // modules)
    big = small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    out = Image.new("RGB", (side, side), (255, 255, 255))
    offset = (side - big.width) // 2
    out.paste(Image.new("RGB", big.size, fg), (offset, offset), big.point(lambda v: 255 - v))
    return out


@functools.lru_cache(maxsize=16)
def qr_placeholder(side: int, ink: tuple[int, int, int]) -> Image.Image:
    """A dashed square saying 二维码位置, so nobody mistakes it for a real code."""
    out = Image.new("RGB", (side, side), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    dash, gap, width = max(6, side // 16), max(4, side // 24), max(2, side // 60)
    for start in range(0, side, dash + gap):
        end = min(start + dash, side - 1)
        for a, b in (
            ((start, 0), (end, 0)),
            ((start, side - 1), (end, side - 1)),
            ((0, start), (0, end)),
            ((side - 1, start), (side - 1, end)),
        ):
            draw.line((a, b), fill=ink, width=width)
    size = max(12, side // 7)
    draw.text(
        (side // 2, side // 2),
        PLACEHOLDER_TEXT,
        font=font("sans-bold", size),
        fill=ink,
        anchor="mm",
    )
    return out
