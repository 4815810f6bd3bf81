"""Bundled fonts: loading (cached), cmap checks, text cleaning and per-text fallback.

Emoji are removed before drawing (the bundled CJK fonts have none, and a colour emoji font would
look out of place on a print-like poster). Any other character must exist in the font used: a
text whose font lacks a character is set in the next bundled font that has every character of
it (serif bold → sans bold → sans regular); a character no bundled font has is spelled out
(㎡ → 平方米) or dropped, with a warning, so one rare glyph never costs a poster. Nothing is ever
drawn as a tofu box.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable
from pathlib import Path

import emoji
from fontTools.ttLib import TTFont, TTLibError
from PIL import ImageFont

from pipelines.errors import PosterError
from pipelines.resources import FONT_DIR

FONTS: dict[str, str] = {
    "sans": "NotoSansSC-Regular-GB2312.otf",
    "sans-bold": "NotoSansSC-Bold-GB2312.otf",
    "serif-bold": "NotoSerifSC-Bold-GB2312L1.otf",
}
# Where a text goes when its font lacks one of its characters: nearest weight first.
FALLBACK: dict[str, tuple[str, ...]] = {
    "serif-bold": ("serif-bold", "sans-bold", "sans"),
    "sans-bold": ("sans-bold", "sans"),
    "sans": ("sans", "sans-bold"),
}

# Joiners and variation selectors left behind by emoji sequences, and other invisible marks.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufe00-\ufe0f\U000e0000-\U000e007f]")
_SPACES = re.compile(r"\s+")
# Unit signs that NFKC would turn into Latin (㎡ → m2): spelled the way a Chinese reader says them.
_SPELLED = {
    "㎡": "平方米",
    "㎥": "立方米",
    "㎏": "千克",
    "㎎": "毫克",
    "㎝": "厘米",
    "㎜": "毫米",
    "㎞": "公里",
    "㏄": "毫升",
    "㎖": "毫升",
    "㎗": "分升",
    "℃": "摄氏度",
}
log = logging.getLogger(__name__)


def font_path(name: str) -> Path:
    if name not in FONTS:
        raise PosterError(f"未知字体「{name}」：可用字体为 {', '.join(FONTS)}")
    path = FONT_DIR / FONTS[name]
    if not path.is_file():
        raise PosterError(
            f"找不到字体文件 {path}：内置字体缺失，请恢复 assets/fonts 目录"
            "（制作方法见 assets/fonts/README.md）"
        )
    return path


@functools.lru_cache(maxsize=96)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """The bundled font `name` at `size` px (cached: faces are costly to open, but each holds
    about half a megabyte, so a long-running app keeps only the sizes in recent use)."""
    path = font_path(name)
    try:
        return ImageFont.truetype(str(path), size)
    except OSError as exc:
        raise PosterError(
            f"字体文件 {path.name} 无法读取（{exc}）：请恢复 assets/fonts 目录"
        ) from None


@functools.cache
def advances(name: str) -> dict[str, float]:
    """Advance width of every character the font has, in em (read once from cmap + hmtx).

    The fonts carry no hinting, so advances scale linearly with the size: line breaking can sum
    these instead of asking FreeType for every candidate line.
    """
    path = font_path(name)
    try:
        face = TTFont(str(path), lazy=True)
        # Numbered glyph names spare parsing the CFF charset: only glyph indices matter here.
        face.setGlyphOrder([f"g{i}" for i in range(face["maxp"].numGlyphs)])
        table = face["cmap"].getBestCmap()
        count = face["hhea"].numberOfHMetrics
        upm = face["head"].unitsPerEm
        metrics = array("H")
        metrics.frombytes(face.reader["hmtx"][: count * 4])
    except (TTLibError, OSError, KeyError, ValueError) as exc:
        raise PosterError(
            f"字体文件 {path.name} 已损坏（{exc}）：请恢复 assets/fonts 目录"
        ) from None
    if sys.byteorder == "little":
        metrics.byteswap()  # the font's tables are big-endian
    widths = metrics[0::2]  # (advance, left side bearing) pairs; later glyphs repeat the last
    return {
        chr(code): widths[min(int(glyph[1:]), count - 1)] / upm for code, glyph in table.items()
    }


@functools.cache
def cmap(name: str) -> frozenset[str]:
    """Every character the bundled font `name` has a glyph for."""
    return frozenset(advances(name))


def text_width(name: str, size: int) -> Callable[[str], float]:
    """A fast width measure for `name` at `size` px (no kerning; drawing checks the real ink)."""
    table = advances(name)

    def measure(text: str) -> float:
        return sum(table.get(ch, 1.0) for ch in text) * size

    return measure


def clean_text(text: str) -> str:
    """Text as it will be drawn: NFC, emoji and invisible marks removed, whitespace collapsed,
    and every character no bundled font has rewritten (㎡ → 平方米) or, failing that, dropped."""
    text = unicodedata.normalize("NFC", text)
    text = emoji.replace_emoji(text, replace="")
    text = _INVISIBLE.sub("", text)
    return _drawable(_SPACES.sub(" ", text).strip())


def _drawable(text: str) -> str:
    known = drawable_chars()
    if all(ch in known or ch.isspace() for ch in text):
        return text
    out = []
    for ch in text:
        if ch in known or ch.isspace():
            out.append(ch)
            continue
        spelled = _SPELLED.get(ch) or unicodedata.normalize("NFKC", ch)
        if all(c in known for c in spelled):
            out.append(spelled)
            log.warning("海报文字里的「%s」字体里没有，已改写为「%s」", ch, spelled)
        else:
            log.warning("海报文字里的「%s」(U+%04X) 字体里没有，已略去", ch, ord(ch))
    return "".join(out)


@functools.cache
def drawable_chars() -> frozenset[str]:
    """Characters at least one bundled font can draw."""
    return frozenset().union(*(cmap(name) for name in FONTS))


def missing_chars(text: str, name: str) -> list[str]:
    have = cmap(name)
    return sorted({ch for ch in text if ch not in have and not ch.isspace()})


def pick_font(text: str, preferred: str) -> str:
    """The first font of `preferred`'s fallback chain that can draw every character of `text`."""
    chain = FALLBACK.get(preferred, (preferred,))
    for name in chain:
        if not missing_chars(text, name):
            return name
    missing = sorted(set.intersection(*(set(missing_chars(text, name)) for name in chain)))
    shown = "、".join(f"「{ch}」(U+{ord(ch):04X})" for ch in missing)
    raise PosterError(
        f"文字「{text}」里的字符 {shown} 内置字体里没有，无法绘制：请换成常用字或删除"
    )
