"""`campaign-canvas restore BACKUP --yes`: put a checked backup in place of the SQLite database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.settings import load_settings
from pipelines.store.health import newest_backup, require_sqlite, restore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="用备份恢复数据库（先检查备份完整；覆盖现有数据库需加 --yes，原来的会先保留）",
    )
    parser.add_argument(
        "backup", nargs="?", type=Path, help="备份文件（不填则用 CC_DATA_DIR/backups/ 里最新的）"
    )
    parser.add_argument("--yes", action="store_true", help="确认覆盖现有的数据库")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    require_sqlite(settings, "恢复")  # PostgreSQL: pg_restore guidance instead
    source = args.backup or newest_backup(settings)
    if source is None:
        print(
            "错误：没有找到备份，请给出备份文件，如 campaign-canvas restore 备份.db --yes",
            file=sys.stderr,
        )
        return 2
    database, kept = restore(settings, source, overwrite=args.yes)
    print(f"已用备份 {source} 恢复数据库 {database}（已通过完整性检查）")
    if kept is not None:
        print(f"原来的数据库已保留在 {kept}")
    return 0
