"""The line breaker: 禁则 and whole digit/Latin runs, as a table."""

from __future__ import annotations

import pytest

from pipelines.poster.linebreak import NO_END, NO_START, break_lines, clusters


def width(text: str) -> float:
    """Every character one unit wide: the table reads in characters."""
    return float(len(text))


@pytest.mark.parametrize(
    ("text", "max_width", "expected"),
    [
        # Words stay whole (jieba, with the trades' attribute words added): 鲜肉 never splits.
        ("冬日暖锅季鲜肉鲜菜", 4, ["冬日暖锅", "季鲜肉", "鲜菜"]),
        ("高腰阔腿牛仔裤破洞撞色设计", 6, ["高腰阔腿", "牛仔裤破洞", "撞色设计"]),
        ("破洞阔腿牛仔裤", 3, ["破洞", "阔腿", "牛仔裤"]),
        # A word wider than the line is the one place a word is split.
        ("牛仔裤", 2, ["牛仔", "裤"]),
        # A closing mark never starts a line: it goes with the character before it, and a
        # pause mark is a preferred break.
        ("今天开团，明天发货", 4, ["今天", "开团，", "明天发货"]),
        ("好吃。不贵！", 2, ["好", "吃。", "不", "贵！"]),
        ("鲜菜（当天采摘）", 4, ["鲜菜", "（当天", "采摘）"]),
        ("鲜菜（当天采摘）", 3, ["鲜菜", "（当天", "采摘）"]),
        # An opening mark never ends a line: it goes with the character after it.
        ("买菜「次日达」", 3, ["买菜", "「次日", "达」"]),
        ("团长说“新鲜”", 3, ["团长说", "“新", "鲜”"]),
        # Numbers stay whole, with their decimal point, colon or percent sign.
        ("满300减50", 4, ["满300", "减50"]),
        ("满300减50", 3, ["满", "300", "减50"]),
        ("活动价39.9元", 4, ["活动价", "39.9", "元"]),
        ("每天10:00开抢", 5, ["每天", "10:00", "开抢"]),
        ("立减50%起", 3, ["立减", "50%", "起"]),
        ("¥39.9到手", 5, ["¥39.9", "到手"]),
        # Latin words stay whole; a space is the preferred break and never starts a line.
        ("支持iPhone和Android", 8, ["支持iPhone", "和Android"]),
        ("支持iPhone和Android", 7, ["支持", "iPhone和", "Android"]),
        ("周三10:00开团 限量200份", 9, ["周三10:00开团", "限量200份"]),
        ("明早开团：暖锅蔬菜拼盘", 8, ["明早开团：", "暖锅蔬菜拼盘"]),
        ("", 5, []),
    ],
)
def test_line_breaker_table(text: str, max_width: float, expected: list[str]) -> None:
    assert break_lines(text, max_width, width) == expected


@pytest.mark.parametrize(
    "text",
    [
        "周五会员日，满300减50，叫上邻居一起来！",
        "（限时）原切牛肉卷「次日达」，坏损包赔。",
        "《冬日暖锅季》开团啦：鲜肉、鲜菜、菌菇……一站配齐！",
        "iPhone用户也能扫码：T-1天预告，10:00准时开抢",
    ],
)
@pytest.mark.parametrize("max_width", [3, 4, 5, 7, 11])
def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(
    text: str, max_width: int
) -> None:
    lines = break_lines(text, max_width, width)
    if lines is None:  # a piece wider than the line: the caller shrinks the font instead
        return
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert line[0] not in NO_START, lines
        assert line[-1] not in NO_END, lines
        assert width(line) <= max_width


@pytest.mark.parametrize("run", ["300", "39.9", "10:00", "iPhone", "T-1", "50%"])
def test_digit_and_latin_runs_are_one_cluster(run: str) -> None:
    assert run in clusters(f"限时{run}开团")


def test_a_piece_wider_than_the_line_is_refused_rather_than_split() -> None:
    assert break_lines("满1234567减50", 4, width) is None
