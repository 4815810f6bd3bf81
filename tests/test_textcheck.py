"""The shared check for text nobody types (canvas fields, comments, review reasons, user names)."""

from __future__ import annotations

import pytest

from pipelines.errors import StoreError
from pipelines.textcheck import check_text, printable, unsafe_reason

REFUSED = [
    ("牛肉\x00卷", "空字符 NUL（U+0000，第 3 个字）"),
    ("\x1b[31m红字", "控制字符（U+001B，第 1 个字）"),
    ("价格\x7f", "控制字符（U+007F"),
    ("\x85下一行", "控制字符（U+0085"),
    ("abc\u202efdp.exe", "文字方向控制符（U+202E"),
    ("\u2066隔离", "文字方向控制符（U+2066"),
    ("标记\u200f", "文字方向控制符（U+200F"),
    ("牛\ud800", "无效的 Unicode 代理字符（U+D800"),
    ("\uffff", "无效的 Unicode 字符（U+FFFF"),
]
ACCEPTED = ["原切牛肉卷 500g/盒", "第一行\n第二行\t缩进", "👩‍👩‍👧 一家人", "¥39.9，限时！", ""]


@pytest.mark.parametrize(("text", "expected"), REFUSED, ids=[repr(t) for t, _ in REFUSED])
def test_unsafe_characters_are_named_with_their_code_and_place(text: str, expected: str) -> None:
    assert expected in (unsafe_reason(text) or "")


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_text_emoji_and_line_breaks_pass(text: str) -> None:
    assert unsafe_reason(text) is None


@pytest.mark.parametrize("text", ["鲜\n姐", "鲜\t姐", "鲜\r姐", "鲜\u2028姐"])
def test_one_line_fields_also_refuse_line_breaks(text: str) -> None:
    assert "不能有换行" in (unsafe_reason(text, multiline=False) or "")


def test_check_text_names_the_field_and_raises_the_callers_error() -> None:
    assert check_text("好的，已改", "评论") == "好的，已改"
    with pytest.raises(StoreError, match=r"^评论有看不见的空字符 NUL"):
        check_text("好\x00", "评论", error=StoreError)
    with pytest.raises(ValueError, match=r"^用户名不能有换行"):
        check_text("小\n蓝", "用户名", multiline=False)


def test_printable_writes_unsafe_characters_as_codes() -> None:
    assert printable("a\x00b\ud800c\u202e") == "aU+0000bU+D800cU+202E"
    printable("\udcff").encode("utf-8")  # a lone surrogate no longer breaks printing
