"""`campaign-canvas check [FILE|-]`: compliance findings for a text or a week package.

A text file (or stdin) is scanned as one text; a `package.json` written by `week` is scanned item
by item against its own canvas. Exit 1 when an error-level finding exists, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import stat
import sys
from pathlib import Path

from pydantic import ValidationError

from pipelines.canvas import Channel, load_canvas
from pipelines.compliance import has_errors, scan_item, scan_text
from pipelines.content import Finding, WeekPackage, iter_texts
from pipelines.errors import CampaignCanvasError, ContentError
from pipelines.textcheck import printable

SEVERITY = {"error": "需修改", "warning": "请复核"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="检查文案的广告法与平台规则风险",
        description="检查一段文案或一个周内容包（package.json）。有「需修改」级问题时退出码为 1。",
    )
    parser.add_argument(
        "file", nargs="?", default="-", help="文本文件或 package.json；- 读标准输入"
    )
    parser.add_argument("--json", action="store_true", help="每条问题输出一行 JSON")
    parser.add_argument("--canvas", type=Path, help="核对数字证据用的活动画布（只对文本生效）")
    parser.add_argument(
        "--channel",
        choices=[c.value for c in Channel],
        help="文本要发的渠道（如 小红书：加查站外导流；只对文本生效）",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raw, name = _read(args.file)
    package = _package(raw, name)
    if package is not None:
        rows = [
            (item.id, dict(iter_texts(item)), f)
            for item in package.items()
            for f in scan_item(item, package.canvas)
        ]
    else:
        canvas = load_canvas(args.canvas) if args.canvas else None
        findings = scan_text(raw, canvas=canvas, channel=args.channel)
        rows = [(None, {"text": raw}, f) for f in findings]
    for item_id, texts, finding in rows:
        line, column = _position(texts.get(finding.field, ""), finding.start)
        if args.json:
            record = {"item": item_id, "line": line, "column": column, **finding.model_dump()}
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(_readable(item_id, finding, line, column))
    if not args.json:
        print(_summary([f for *_, f in rows]))
    return 1 if has_errors(f for *_, f in rows) else 0


MAX_INPUT_BYTES = 20_000_000  # a week package is a few hundred KB


def _read(path: str) -> tuple[str, str]:
    """The text to check, from stdin or a regular file, never more than MAX_INPUT_BYTES."""
    if path == "-":
        if sys.stdin.isatty():
            print("请粘贴要检查的文案，输入完按 Ctrl-D 结束：", file=sys.stderr)
        stream = getattr(sys.stdin, "buffer", None)  # a text-only stdin (tests, IDEs) is read as is
        raw = (stream.read if stream else sys.stdin.read)(MAX_INPUT_BYTES + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        name = "标准输入"
    else:
        file = Path(path)
        name = printable(file.name)
        try:
            info = file.stat()
        except (OSError, ValueError):
            raise CampaignCanvasError(
                f"找不到要检查的文件：{printable(path)}，请检查路径"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise CampaignCanvasError(
                f"{printable(path)} 不是普通文件（文件夹、设备或管道），不能检查"
            )
        if info.st_size > MAX_INPUT_BYTES:
            raise CampaignCanvasError(f"{name}：文件太大（{info.st_size} 字节），最多 20 MB")
        try:
            with open(file, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
        except OSError:
            raise CampaignCanvasError(f"{name}：无法读取，请检查文件权限") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise CampaignCanvasError(f"{name}：内容太长，最多 20 MB")
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError:
        raise CampaignCanvasError(f"{name}：不是 UTF-8 编码的文本，请另存为 UTF-8") from None


def _package(raw: str, name: str) -> WeekPackage | None:
    """A week package when the input is one (JSON naming a canvas); None for plain text."""
    stripped = raw.lstrip()
    looks_like_json = stripped.startswith("{") or name.endswith(".json")
    if not looks_like_json:
        return None
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ContentError(f"{name}：JSON 嵌套太深，不像一个周内容包") from None
    except json.JSONDecodeError as exc:
        if name.endswith(".json"):
            raise ContentError(f"{name}：JSON 格式错误（第 {exc.lineno} 行：{exc.msg}）") from None
        return None
    if not (isinstance(data, dict) and "canvas" in data):
        if name.endswith(".json"):
            raise ContentError(f"{name}：不是周内容包（package.json），缺少 canvas 字段")
        return None
    try:
        return WeekPackage.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "内容包"
        raise ContentError(
            f"{name}：周内容包校验失败（{exc.error_count()} 处问题，第一处在 {where}：{first['msg']}）"
        ) from None


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _readable(item_id: str | None, finding: Finding, line: int, column: int) -> str:
    where = f"{item_id} · {finding.field} " if item_id else ""
    return (
        f"{where}第{line}行第{column}列 [{SEVERITY[finding.severity]}] "
        f"{finding.category}「{finding.span}」\n"
        f"  规则：{finding.rule}\n  原因：{finding.why}\n  建议：{finding.suggestion}"
    )


def _summary(findings: list[Finding]) -> str:
    if not findings:
        return "未发现合规问题。"
    errors = sum(f.severity == "error" for f in findings)
    return f"共 {len(findings)} 处：需修改 {errors} 处，请复核 {len(findings) - errors} 处。"
