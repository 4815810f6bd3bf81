"""`campaign-canvas migrate`: create or upgrade the database schema, once, before servers start."""

from __future__ import annotations

import argparse

from pipelines.settings import load_settings
from pipelines.store import open_store
from pipelines.store.schema import SCHEMA_VERSION


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="创建或升级数据库结构（多台机器部署时，在启动应用和 worker 之前运行一次）",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # open_store migrates under a lock; several machines running this at once is safe.
    open_store(load_settings()).close()
    print(f"数据库结构已是第 {SCHEMA_VERSION} 版")
    return 0
