"""`campaign-canvas campaigns`: one line per stored campaign — id, name, counts per review state."""

from __future__ import annotations

import argparse

from pipelines.auth import require
from pipelines.cli.identity import add_identity, cli_user
from pipelines.settings import load_settings
from pipelines.store import STATE_LABELS, open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("campaigns", help="列出已保存的活动（编号在前）")
    add_identity(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    require(cli_user(args, settings), "view")
    store = open_store(settings)
    try:
        summaries = store.campaigns()
    finally:
        store.close()
    for summary in summaries:
        counts = " ".join(
            f"{STATE_LABELS[state]}{n}"
            for state, n in summary.counts.items()
            if n or state != "withdrawn"
        )
        print(f"{summary.id}\t{summary.name}\t{counts}")
    if not summaries:
        print("还没有保存的活动：先用 campaign-canvas batch 或应用生成一周内容")
    return 0
