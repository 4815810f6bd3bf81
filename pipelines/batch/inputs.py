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
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.canvas import Canvas, load_canvas, parse_canvas
from pipelines.errors import CanvasError

CANVAS_SUFFIXES = {".toml", ".json"}
TABLE_SUFFIXES = {".xlsx", ".csv"}
_LIST_SPLIT = re.compile(r"[；;\n]+")
_NAME_SPLIT = re.compile(r"[、，,；;\s]+")
_YES = {"是", "y", "yes", "true", "1", "开团"}


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
            found.append(BatchInput(str(path), error=f"找不到 {path}，请检查路径"))
    return found


def _read(path: Path) -> list[BatchInput]:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        try:
            rows = _xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path)
        except CanvasError as exc:
            return [BatchInput(str(path), error=str(exc))]
        return table_canvases(rows, source=path.name, base_dir=path.parent)
    if suffix not in CANVAS_SUFFIXES:
        return [
            BatchInput(
                str(path), error=f"{path.name}：不支持的文件类型，请用 .toml/.json/.xlsx/.csv"
            )
        ]
    try:
        return [BatchInput(str(path), canvas=load_canvas(path), base_dir=path.parent)]
    except CanvasError as exc:
        return [BatchInput(str(path), error=str(exc))]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [dict(row) for row in csv.DictReader(handle)]
    except UnicodeDecodeError:
        raise CanvasError(
            f"{path.name}：CSV 不是 UTF-8 编码，请在 Excel 里另存为「CSV UTF-8」"
        ) from None


def _xlsx_rows(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise CanvasError(
            f"{path.name}：无法读取表格（{type(exc).__name__}），请确认是 .xlsx 文件"
        ) from None
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
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
