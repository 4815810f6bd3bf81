"""`campaign-canvas backup`: copy the SQLite database into CC_DATA_DIR/backups/ (online backup)."""

from __future__ import annotations

import argparse

from pipelines.settings import load_settings
from pipelines.store.health import backup


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="备份数据库到 CC_DATA_DIR/backups/（文件名带时间；应用运行时也可以备份）",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target = backup(load_settings())
    print(f"已备份到 {target}")
    print(f"恢复：campaign-canvas restore {target} --yes")
    return 0
