"""Text nobody means to type: control characters, NUL, bidi overrides, lone surrogates.

Such characters pass as ordinary text until something downstream chokes on them (openpyxl
refuses control characters, PostgreSQL refuses NUL, a lone surrogate cannot even be printed)
or quietly misleads a reader (a bidi override reverses what a reviewer sees). User text is
checked once, where it comes in: the canvas (`pipelines/canvas.py`), comments, review reasons
and user names (`check_text`).
"""

from __future__ import annotations

import re

# C0 controls except tab and line breaks, DEL and the C1 controls, bidi embeddings, overrides,
# isolates and marks, lone surrogates and the two noncharacters U+FFFE/U+FFFF.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
)
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")


def _kind(char: str) -> str:
    code = ord(char)
    if code == 0:
        return "空字符 NUL"
    if 0xD800 <= code <= 0xDFFF:
        return "无效的 Unicode 代理字符"
    if char in "\u061c\u200e\u200f" or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return "文字方向控制符"
    if code in (0xFFFE, 0xFFFF):
        return "无效的 Unicode 字符"
    return "控制字符"


def unsafe_reason(text: str, *, multiline: bool = True) -> str | None:
    """What is wrong with `text` in Chinese (without the field's name), or None if it is fine.

    `multiline=False` also refuses tabs and line breaks (names, one-line fields).
    """
    found = _UNSAFE.search(text) or (None if multiline else _LINE_BREAKS.search(text))
    if found is None:
        return None
    char = found.group()
    if _LINE_BREAKS.fullmatch(char):
        return f"不能有换行或制表符（第 {found.start() + 1} 个字）：请写成一行"
    return (
        f"有看不见的{_kind(char)}（U+{ord(char):04X}，第 {found.start() + 1} 个字）："
        "请删除后重新输入（从别处复制的文字常带这类字符）"
    )


def check_text(
    text: str, field: str, *, multiline: bool = True, error: type[Exception] = ValueError
) -> str:
    """`text` unchanged, or `error` with a Chinese message naming `field` (e.g. "评论")."""
    reason = unsafe_reason(text, multiline=multiline)
    if reason is not None:
        raise error(f"{field}{reason}")
    return text


def printable(text: str) -> str:
    """`text` safe to show in a message: each unsafe character written as its code (U+0000)."""
    return _UNSAFE.sub(lambda m: f"U+{ord(m.group()):04X}", text)
