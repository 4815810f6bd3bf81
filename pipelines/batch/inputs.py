"""Batch inputs: canvas files, folders of them, and XLSX/CSV tables with one row per product.

A table groups its rows into canvases by (门店, 活动名称); the campaign columns are read from the
first row of each group, the product columns from every row. Columns (header row, any order):

    门店*  活动名称*  周开始日期* (YYYY-MM-DD)  主题*  主题类型  主题说明
    人群* (多个用 、或 ； 分隔)  人群痛点 (；分隔)  场景  渠道  人设  人设类型  语气
    商品名称*  商品编号  品类  原价*  活动价  规格  产品特点* (；分隔)  证据 (；分隔)  库存  服务承诺
    秒杀时间 (如 10:00、18:00)  开团 (是/否)  开团日 (1-7)  直播日 (1-7)  避免用词  群规 (；分隔)

(* required.) Empty optional cells take the canvas defaults.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.canvas import Canvas, load_canvas, parse_canvas
from pipelines.errors import CanvasError
from pipelines.textcheck import printable

CANVAS_SUFFIXES = {".toml", ".json"}
TABLE_SUFFIXES = {".xlsx", ".csv"}
_LIST_SPLIT = re.compile(r"[；;\n]+")
_NAME_SPLIT = re.compile(r"[、，,；;\s]+")
_YES = {"是", "y", "yes", "true", "1", "开团"}
MAX_TABLE_BYTES = 20 * 1024 * 1024
MAX_TABLE_ROWS = 10_000  # product rows; a store's sheet has tens
MAX_TABLE_COLUMNS = 64  # the sheet has about 30 columns; a compressed XLSX can claim 16384


@dataclass(frozen=True)
class BatchInput:
    """One canvas to generate, or the reason it could not be read."""

    source: str
    canvas: Canvas | None = None
    error: str | None = None
    base_dir: Path = Path(".")


def collect(paths: list[Path]) -> list[BatchInput]:
    """Every canvas named by `paths` (files, folders, tables), in a stable order."""
    found: list[BatchInput] = []
    for path in paths:
        if path.is_dir():
            children = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in CANVAS_SUFFIXES | TABLE_SUFFIXES
            )
            if not children:
                found.append(BatchInput(str(path), error=f"文件夹 {path} 里没有画布文件或表格"))
            for child in children:
                found += _read(child)
        elif path.is_file():
            found += _read(path)
        else:
            shown = printable(str(path))
            message = f"{shown} 不是普通文件" if path.exists() else f"找不到 {shown}，请检查路径"
            found.append(BatchInput(str(path), error=message))
    return found


def _read(path: Path) -> list[BatchInput]:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        try:
            raw = _table_bytes(path)
            rows = _xlsx_rows(raw, path.name) if suffix == ".xlsx" else _csv_rows(raw, path.name)
        except CanvasError as exc:
            return [BatchInput(str(path), error=str(exc))]
        return table_canvases(rows, source=printable(path.name), base_dir=path.parent)
    if suffix not in CANVAS_SUFFIXES:
        return [
            BatchInput(
                str(path),
                error=f"{printable(path.name)}：不支持的文件类型，请用 .toml/.json/.xlsx/.csv",
            )
        ]
    try:
        return [BatchInput(str(path), canvas=load_canvas(path), base_dir=path.parent)]
    except CanvasError as exc:
        return [BatchInput(str(path), error=str(exc))]


def _table_bytes(path: Path) -> bytes:
    """A table file's bytes: a regular file, its size checked before reading."""
    name = printable(path.name)
    try:
        info = path.stat()
    except OSError:
        raise CanvasError(f"找不到 {name}，请检查路径") from None
    if not stat.S_ISREG(info.st_mode):
        raise CanvasError(f"{name} 不是普通文件（可能是文件夹、设备或管道），不能作为表格读取")
    if info.st_size > MAX_TABLE_BYTES:
        raise CanvasError(
            f"{name}：表格太大（{info.st_size / 1048576:.0f} MB，最多 "
            f"{MAX_TABLE_BYTES // 1048576} MB），请按门店拆成几个文件"
        )
    with path.open("rb") as handle:
        return handle.read(MAX_TABLE_BYTES + 1)


def _limited(rows: Any, name: str) -> list[Any]:
    """At most MAX_TABLE_ROWS rows after the header, else a Chinese error."""
    taken = list(itertools.islice(rows, MAX_TABLE_ROWS + 2))
    if len(taken) > MAX_TABLE_ROWS + 1:
        raise CanvasError(f"{name}：行数太多（超过 {MAX_TABLE_ROWS} 行），请按门店拆成几个文件")
    return taken


def _csv_rows(raw: bytes, name: str) -> list[dict[str, str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CanvasError(
            f"{printable(name)}：CSV 不是 UTF-8 编码，请在 Excel 里另存为「CSV UTF-8」"
        ) from None
    try:
        rows = _limited(csv.reader(io.StringIO(text, newline="")), printable(name))
    except csv.Error:
        raise CanvasError(
            f"{printable(name)}：CSV 格式错误（某个单元格太长或引号没配对），请在 Excel 里重新另存"
        ) from None
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(c.strip() for c in row)]


def _xlsx_rows(raw: bytes, name: str) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a broken file
        raise CanvasError(f"{printable(name)}：无法读取表格，请确认是 .xlsx 文件") from None
    try:
        rows = _limited(
            book.worksheets[0].iter_rows(values_only=True, max_col=MAX_TABLE_COLUMNS),
            printable(name),
        )
    except CanvasError:
        raise
    except Exception:  # a damaged sheet inside a readable workbook, same variety of types
        raise CanvasError(f"{printable(name)}：表格内容已损坏，请重新导出") from None
    finally:
        book.close()
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [
        dict(zip(header, row, strict=False)) for row in rows[1:] if any(v is not None for v in row)
    ]


def _cell(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _items(value: str, pattern: re.Pattern[str] = _LIST_SPLIT) -> list[str]:
    return [part.strip() for part in pattern.split(value) if part.strip()]


def table_canvases(
    rows: list[dict[str, Any]], *, source: str, base_dir: Path = Path(".")
) -> list[BatchInput]:
    """Group product rows by (门店, 活动名称) and build one canvas per group."""
    groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    for number, row in enumerate(rows, start=2):
        key = (_cell(row, "门店"), _cell(row, "活动名称"))
        groups.setdefault(key, []).append((number, row))
    found = []
    for (store, name), members in groups.items():
        label = f"{source} 第 {members[0][0]} 行起（{store or '?'}·{name or '?'}）"
        try:
            canvas = parse_canvas(_canvas_data(members), source=label)
        except CanvasError as exc:
            found.append(BatchInput(label, error=str(exc)))
            continue
        found.append(BatchInput(label, canvas=canvas, base_dir=base_dir))
    return found


def _canvas_data(members: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    first = members[0][1]

    def cell(name: str) -> str:
        return _cell(first, name)

    pains = _items(cell("人群痛点"))
    data: dict[str, Any] = {
        "name": cell("活动名称"),
        "week_start": cell("周开始日期"),
        "theme": {"name": cell("主题"), "kind": cell("主题类型"), "description": cell("主题说明")},
        "brand": {"name": cell("门店")},
        "personas": [{"name": n, "pain_points": pains} for n in _items(cell("人群"), _NAME_SPLIT)],
        "scenes": _items(cell("场景"), _NAME_SPLIT) or ["社区团购群"],
        "channels": _items(cell("渠道"), _NAME_SPLIT),
        "speaker": {
            "name": cell("人设") or "店长",
            "ip_type": cell("人设类型"),
            "tone": cell("语气"),
        },
        "avoid_words": _items(cell("避免用词"), _NAME_SPLIT),
        "group_rules": _items(cell("群规")),
        "burst": {
            # In a sheet, filling in flash-sale times (or 开团) is how a store chooses them.
            "methods": [
                method
                for method, chosen in (
                    ("开团", cell("开团").lower() in _YES),
                    ("秒杀", bool(_items(cell("秒杀时间"), _NAME_SPLIT))),
                )
                if chosen
            ],
            "flash_sale_times": _items(cell("秒杀时间"), _NAME_SPLIT),
            "group_buy": cell("开团").lower() in _YES,
            "launch_day": cell("开团日"),
            "livestream_day": cell("直播日"),
        },
        "products": [_product(row) for _, row in members],
    }
    return _drop_empty(data)


def _product(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _cell(row, "商品编号"),
        "name": _cell(row, "商品名称"),
        "category": _cell(row, "品类"),
        "price": _cell(row, "原价"),
        "promo_price": _cell(row, "活动价"),
        "specs": _cell(row, "规格"),
        "features": _items(_cell(row, "产品特点")),
        "evidence": _items(_cell(row, "证据")),
        "stock": _cell(row, "库存"),
        "service": _cell(row, "服务承诺"),
    }


def _drop_empty(value: Any) -> Any:
    """Empty cells mean "use the default", so they leave the data instead of failing validation."""
    if isinstance(value, dict):
        cleaned = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ("", [], {}, None)}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value
