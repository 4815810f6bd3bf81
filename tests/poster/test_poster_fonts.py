"""Bundled fonts: emoji removed, per-text fallback, refusal naming the character, missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import PosterError
from pipelines.poster import fonts
from pipelines.poster.fonts import FONTS, clean_text, cmap, font, pick_font

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "fonts"


def test_bundled_fonts_and_their_licence_are_there_and_modest() -> None:
    sizes = [(ASSETS / name).stat().st_size for name in FONTS.values()]
    assert sum(sizes) < 12 * 1024 * 1024
    assert "SIL OPEN FONT LICENSE Version 1.1" in (ASSETS / "OFL.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(FONTS))
def test_every_bundled_font_covers_the_common_poster_characters(name: str) -> None:
    assert set("¥￥，。、：；！？（）《》【】“”…—0123456789%满减元团购鲜") <= cmap(name)


@pytest.mark.parametrize(
    ("raw", "drawn"),
    [
        ("🔥爆款牛肉卷🔥", "爆款牛肉卷"),
        ("开团啦🎉🎉", "开团啦"),
        ("点赞👍🏻就有", "点赞就有"),
        ("家庭👨‍👩‍👧套餐", "家庭套餐"),
        ("限时❤️特惠", "限时特惠"),
        ("  两个   空格  ", "两个 空格"),
        ("没有表情", "没有表情"),
    ],
)
def test_emoji_and_invisible_marks_are_removed_before_drawing(raw: str, drawn: str) -> None:
    assert clean_text(raw) == drawn


@pytest.mark.parametrize(
    ("text", "preferred", "chosen"),
    [
        ("冬日暖锅季", "serif-bold", "serif-bold"),
        ("涮8秒就熟", "serif-bold", "sans-bold"),  # 涮 is not among the serif subset's hanzi
        ("满300减50", "sans", "sans"),
    ],
)
def test_a_text_falls_back_to_the_next_font_that_has_all_its_characters(
    text: str, preferred: str, chosen: str
) -> None:
    assert pick_font(text, preferred) == chosen


@pytest.mark.parametrize("char", ["𠀾", "龘", "㐀", "☃"])
def test_a_character_no_bundled_font_has_is_refused_by_name(char: str) -> None:
    with pytest.raises(PosterError, match=f"「{char}」.*内置字体里没有"):
        pick_font(f"好物{char}推荐", "sans-bold")


def test_a_missing_font_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path)
    font.cache_clear()
    fonts.advances.cache_clear()
    try:
        with pytest.raises(PosterError, match=r"找不到字体文件.*assets/fonts"):
            font("sans-bold", 40)
        fonts.cmap.cache_clear()
        with pytest.raises(PosterError, match="找不到字体文件"):
            cmap("sans")
    finally:
        font.cache_clear()
        fonts.advances.cache_clear()
        fonts.cmap.cache_clear()


@pytest.mark.parametrize(
    ("text", "drawn"),
    [("客厅30㎡", "客厅30平方米"), ("好物𠀾推荐", "好物推荐"), ("冬日暖锅季", "冬日暖锅季")],
)
def test_a_character_no_font_has_is_spelled_out_or_dropped_before_drawing(
    text: str, drawn: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert fonts.clean_text(text) == drawn
    assert not any(ch not in fonts.drawable_chars() for ch in fonts.clean_text(text))
    assert (text != drawn) == bool(caplog.records)
