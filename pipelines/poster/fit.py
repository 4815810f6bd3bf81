"""Shrink-to-fit: the largest font size at which a text's lines fit inside a box.

The result is a `TextBlock`: whole lines with their baseline positions, ready to draw and easy to
check (tests draw each block alone and compare its ink with its box). Sizes are searched with
the fonts' advance widths (cheap), then the chosen size is checked against the real ink of every
line as FreeType will draw it, so a block never leaves its box. A text that does not fit even at
the box's minimum size raises `PosterError` naming the text and the box.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pipelines.errors import PosterError
from pipelines.poster.fonts import font, text_width
from pipelines.poster.linebreak import break_lines, natural_breaks

Rect = tuple[int, int, int, int]  # left, top, right, bottom

# Noto CJK's ideographic em box: 0.88 em above the baseline, 0.12 em below.
ASCENT, DESCENT = 0.88, 0.12


@dataclass(frozen=True)
class TextBlock:
    """Lines of one text set in one font and size, placed inside `box`."""

    box: Rect
    font: str
    size: int
    color: tuple[int, int, int]
    lines: tuple[tuple[int, int, str], ...]  # (x, baseline y, text), drawn with anchor "ls"

    @property
    def text(self) -> str:
        return "".join(line for _, _, line in self.lines)


@dataclass(frozen=True)
class _Fit:
    size: int
    offsets: tuple[tuple[int, int, str], ...]  # (x, baseline) relative to the box, and the line
    height: int


def _lines(text: str, font_name: str, size: int, width: int, max_lines: int) -> list[str] | None:
    """Greedy lines, then balanced: the narrowest width giving as many lines (no lone last word)."""
    measure = text_width(font_name, size)
    lines = break_lines(text, width, measure)
    if lines is None or len(lines) > max_lines:
        return None
    # Lines that already break at the writer's spaces or pause marks stay as they are.
    if len(lines) > 1 and " ".join(lines) != text and not natural_breaks(lines):
        low, high = int(width * (len(lines) - 1) / len(lines)), width
        while low < high:
            mid = (low + high) // 2
            trial = break_lines(text, mid, measure)
            if trial is not None and len(trial) == len(lines):
                high = mid
            else:
                low = mid + 1
        lines = break_lines(text, high, measure) or lines
    return lines


def _height(count: int, size: int, spacing: float) -> int:
    return round(size * ASCENT) + (count - 1) * round(size * spacing) + round(size * DESCENT)


def _place(
    lines: list[str], font_name: str, size: int, width: int, height: int, spacing: float, align: str
) -> _Fit | None:
    """Position lines by the real ink FreeType draws; None if any ink would leave the box."""
    face = font(font_name, size)
    pitch, top = round(size * spacing), round(size * ASCENT)
    placed = []
    ink_top, ink_bottom = 0, 0
    for index, line in enumerate(lines):
        baseline = top + index * pitch
        left, up, right, down = face.getbbox(line, anchor="ls")
        # Centre and right-align by the ink, so a trailing "，" does not push the line sideways.
        x = {"left": 0, "center": (width - right - left) // 2, "right": width - right}[align]
        x = min(max(x, -left), width - right)  # pull overhanging ink (bearings) back inside
        if x + left < 0:
            return None
        placed.append((x, baseline, line))
        ink_top, ink_bottom = min(ink_top, baseline + up), max(ink_bottom, baseline + down)
    if ink_top < 0:  # a glyph reaching above the em box: move every line down
        placed = [(x, y - ink_top, line) for x, y, line in placed]
        ink_bottom -= ink_top
    block_height = max(ink_bottom, _height(len(lines), size, spacing))
    if block_height > height:
        return None
    return _Fit(size, tuple(placed), block_height)


@functools.lru_cache(maxsize=4096)
def _fit(
    text: str,
    font_name: str,
    width: int,
    height: int,
    low: int,
    high: int,
    spacing: float,
    max_lines: int,
    align: str,
) -> _Fit | None:
    def fits(size: int) -> list[str] | None:
        lines = _lines(text, font_name, size, width, max_lines)
        return lines if lines and _height(len(lines), size, spacing) <= height else None

    # Binary search on advance widths (fitting shrinks monotonically enough with the size)...
    if fits(low) is None:
        return None
    best = low
    top = high
    while best < top:
        mid = (best + top + 1) // 2
        if fits(mid) is None:
            top = mid - 1
        else:
            best = mid
    # ...then confirm with the real ink, stepping down in the rare case kerning or a bearing
    # pushes a line out.
    for size in range(best, low - 1, -1):
        lines = fits(size)
        placed = lines and _place(lines, font_name, size, width, height, spacing, align)
        if placed:
            return placed
    return None


def fit_text(
    text: str,
    box: Rect,
    *,
    font_name: str,
    sizes: tuple[int, int],
    color: tuple[int, int, int],
    label: str,
    align: str = "left",
    valign: str = "top",
    spacing: float = 1.25,
    max_lines: int = 3,
) -> TextBlock:
    """Set `text` in `box` at the largest size in `sizes` that fits, or raise `PosterError`."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    low, high = sizes
    found = _fit(text, font_name, width, height, low, high, spacing, max_lines, align)
    if found is None:
        raise PosterError(
            f"文字「{text}」放不进海报的「{label}」框（{width}×{height} 像素，最多 {max_lines} 行，"
            f"最小字号 {low}）：请缩短这段文字"
        )
    dy = (
        top
        + {"top": 0, "middle": (height - found.height) // 2, "bottom": height - found.height}[
            valign
        ]
    )
    lines = tuple((left + x, dy + y, line) for x, y, line in found.offsets)
    return TextBlock(box=box, font=font_name, size=found.size, color=color, lines=lines)


def fit_bullets(
    bullets: list[str],
    box: Rect,
    *,
    font_name: str,
    sizes: tuple[int, int],
    color: tuple[int, int, int],
    label: str,
    valign: str = "top",
    spacing: float = 1.2,
    max_lines: int = 2,
) -> tuple[list[TextBlock], int]:
    """Set a list of bullets in one size, each indented for its marker; returns blocks and size.

    Every bullet starts on a new line and may wrap to `max_lines`; the whole list shrinks
    together so the bullets read as one list.
    """
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    low, high = sizes

    def attempt(size: int) -> list[_Fit] | None:
        indent, gap = size, round(size * 0.5)
        fits = [
            _fit(text, font_name, width - indent, height, size, size, spacing, max_lines, "left")
            for text in bullets
        ]
        if any(f is None for f in fits):
            return None
        total = sum(f.height for f in fits) + gap * (len(fits) - 1)  # type: ignore[union-attr]
        return fits if total <= height else None  # type: ignore[return-value]

    best = attempt(low)
    if best is None:
        longest = max(bullets, key=len)
        raise PosterError(
            f"卖点「{longest}」等 {len(bullets)} 条放不进海报的「{label}」框（{width}×{height} 像素，"
            f"最小字号 {low}）：请缩短卖点或减少条数"
        )
    size = low
    while low < high:
        mid = (low + high + 1) // 2
        found = attempt(mid)
        if found is None:
            high = mid - 1
        else:
            best, size, low = found, mid, mid
    gap = round(size * 0.5)
    total = sum(f.height for f in best) + gap * (len(best) - 1)
    y = top + {"top": 0, "middle": (height - total) // 2, "bottom": height - total}[valign]
    blocks = []
    for found in best:
        lines = tuple((left + size + x, y + dy, line) for x, dy, line in found.offsets)
        blocks.append(TextBlock(box=box, font=font_name, size=size, color=color, lines=lines))
        y += found.height + gap
    return blocks, size
