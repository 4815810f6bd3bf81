"""`campaign-canvas schema canvas|package`: print a JSON Schema."""

from __future__ import annotations

import argparse
import json

from pipelines.canvas import canvas_schema
from pipelines.content import WeekPackage


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="打印 JSON Schema（画布或一周内容包）")
    parser.add_argument("which", choices=["canvas", "package"], help="canvas 或 package")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    schema = canvas_schema() if args.which == "canvas" else WeekPackage.model_json_schema()
    print(json.dumps(schema, ensure_ascii=False, indent=2))
    return 0
