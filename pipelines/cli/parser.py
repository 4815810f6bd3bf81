"""argparse in Chinese: usage, section titles, the help option and its error messages.

argparse writes its own words in English; the patterns below turn its few error sentences into
Chinese, and anything unknown is still shown (never swallowed).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

ERRORS = [
    (r"^the following arguments are required: (.+)$", r"缺少必填参数：\1"),
    (r"^unrecognized arguments: (.+)$", r"不认识的参数：\1"),
    (
        r"^argument (.+?): invalid choice: '?(.+?)'? \(choose from (.+)\)$",
        r"参数 \1 没有「\2」这个选项，可选：\3",
    ),
    (r"^argument (.+?): expected one argument$", r"参数 \1 后面要跟一个值"),
    (r"^argument (.+?): invalid \w+ value: '?(.+?)'?$", r"参数 \1：「\2」不是有效的值"),
    (r"^argument (.+?): not allowed with argument (.+)$", r"参数 \1 不能和 \2 一起用"),
    (r"^argument (.+?): (.+)$", r"参数 \1：\2"),
]


def in_chinese(message: str) -> str:
    for pattern, replacement in ERRORS:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class ChineseFormatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser (and, through add_subparsers, every sub-command's) speaking Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示这段帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{in_chinese(message)}\n")
