"""The `campaign-canvas` console script. Each sub-command lives in its own module here.

A sub-command module defines `register(subparsers)`, which adds its parser and sets
`func=handler`; `handler(args) -> int` returns the exit code. Domain errors are translated
once, here: a Chinese message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pipelines.cli.parser import ChineseParser
from pipelines.errors import CampaignCanvasError
from pipelines.textsafe import for_terminal

COMMANDS = [
    "week", "schema", "batch", "campaigns", "export", "users", "doctor", "check", "poster",
    "migrate", "backup", "restore", "worker",
]  # fmt: skip


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given a known command, only that command's module is imported (fast start)."""
    parser = ChineseParser(
        prog="campaign-canvas",
        description="活动画布内容工坊：一张活动画布，生成一整周的社群内容",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for name in [command] if command in COMMANDS else COMMANDS:
        importlib.import_module(f"pipelines.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    try:
        return args.func(args)
    except CampaignCanvasError as exc:
        print(f"错误：{for_terminal(str(exc), keep_newlines=True)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
