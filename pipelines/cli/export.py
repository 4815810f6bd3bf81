"""`campaign-canvas export CAMPAIGN_ID --out FILE.zip [--all]`: the approved week as a ZIP."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.cli.identity import add_identity, cli_user
from pipelines.errors import ExportError
from pipelines.export import store_posters, write_zip
from pipelines.settings import load_settings
from pipelines.store import open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="把活动导出为 ZIP（默认只含已通过的条目）")
    parser.add_argument("campaign_id", help="活动编号（见 campaign-canvas campaigns）")
    parser.add_argument("--out", type=Path, required=True, help="输出文件，如 week.zip")
    parser.add_argument("--all", action="store_true", help="导出全部条目（含未通过的，仅管理员）")
    add_identity(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".zip":
        raise ExportError(f"输出文件应以 .zip 结尾：{args.out}")
    settings = load_settings()
    user = cli_user(args, settings)
    store = open_store(settings)
    try:
        approved_only = not args.all
        view = store.package(args.campaign_id, user=user, approved_only=approved_only)
        names = write_zip(view, args.out, approved_only=approved_only, posters=store_posters(store))
    finally:
        store.close()
    scope = "已通过的" if approved_only else "全部"
    print(f"已导出{scope} {len(view.items)} 个条目到 {args.out}（{len(names)} 个文件）")
    return 0
