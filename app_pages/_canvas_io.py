"""Canvas files in and out for the canvas page: examples, TOML/JSON, products from XLSX/CSV.

Pure functions (no Streamlit), so they are tested directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from pipelines.canvas import MAX_CANVAS_CHARS, Canvas, read_canvas_data
from pipelines.errors import CanvasError, PosterError
from pipelines.poster.images import find_image
from pipelines.resources import EXAMPLES_DIR
from pipelines.textcheck import printable

# Column headers operators use in their spreadsheets, mapped to product fields.
PRODUCT_HEADERS = {
    "编号": "id",
    "商品编号": "id",
    "名称": "name",
    "商品名称": "name",
    "商品": "name",
    "品类": "category",
    "类目": "category",
    "原价": "price",
    "价格": "price",
    "活动价": "promo_price",
    "促销价": "promo_price",
    "规格": "specs",
    "特点": "features",
    "产品特点": "features",
    "卖点": "features",
    "证据": "evidence",
    "库存": "stock",
    "服务": "service",
    "服务承诺": "service",
    "图片": "image",
    "商品图片": "image",
}
PRODUCT_FIELDS = set(PRODUCT_HEADERS.values())
LIST_FIELDS = {"features", "evidence"}
_TIMES = re.compile(r"[、,，;；\s]+")
# 、 is not a separator: it enumerates inside one phrase ("无香精、无酒精配方").
_SPLIT = re.compile(r"[；;|\n]+")


def split_items(value: Any) -> list[str]:
    """'a；b；c' (or a list) → ['a', 'b', 'c'], blanks dropped."""
    return _split(value, _SPLIT)


def split_times(value: Any) -> list[str]:
    """'10:00、12:00, 18:00' → ['10:00', '12:00', '18:00']."""
    return _split(value, _TIMES)


def _split(value: Any, pattern: re.Pattern[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in pattern.split(str(value)) if part.strip()]


def join_items(values: Any) -> str:
    return "；".join(split_items(values))


MAX_SHEET_ROWS = 1_000  # a canvas holds at most 20 products
MAX_SHEET_COLUMNS = 64
_ONE_MARK = re.compile(r"[；;|]")  # one mark, one cell: "a；；c" keeps the gap


def split_aligned(value: Any) -> list[str]:
    """'a；；c' → ['a', '', 'c']: cells that line up with another list keep their gaps."""
    if value is None:
        return []
    items = value if isinstance(value, list) else _ONE_MARK.split(str(value))
    items = [str(item).strip() for item in items]
    while items and not items[-1]:
        items.pop()
    return items


def join_aligned(values: Any) -> str:
    return "；".join(split_aligned(values))


def list_examples() -> dict[str, Path]:
    """Example canvases by display name ('邻里鲜周末团（fresh_groupbuy）')."""
    found: dict[str, Path] = {}
    for path in sorted(EXAMPLES_DIR.glob("*.toml")):
        try:
            name = tomllib.loads(path.read_text(encoding="utf-8")).get("name", path.stem)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        found[f"{name}（{path.stem}）"] = path
    return found


def parse_raw(raw: bytes, suffix: str, source: str = "画布文件") -> dict[str, Any]:
    """A canvas file's data as a dict, before validation (so the form can show what is wrong)."""
    source = printable(source)
    if len(raw) > 4 * MAX_CANVAS_CHARS:
        raise CanvasError(f"{source}：文件太大（{len(raw)} 字节），不像一张画布")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CanvasError(f"{source}：文件不是 UTF-8 编码的文本，请另存为 UTF-8") from None
    data = read_canvas_data(text, suffix=suffix, source=source)
    return json.loads(json.dumps(data, default=str))


def confine_images(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`data` without image and logo paths the app may not read, and a note for each dropped.

    In the app an image is uploaded into the image store; a path in an uploaded canvas or
    product sheet must name a file there, never one elsewhere on the server.
    """
    notes: list[str] = []

    def allowed(value: Any, what: str) -> bool:
        if not isinstance(value, str) or not value:
            return True  # no path, or not one at all: validation says what is wrong
        try:
            find_image(value, base_dir=None, what=what)
        except PosterError as exc:
            notes.append(f"{exc}（已去掉这个路径）")
            return False
        return True

    products = data.get("products")
    if isinstance(products, list):
        kept = []
        for product in products:
            if isinstance(product, dict) and "image" in product:
                what = f"商品「{printable(str(product.get('name', '')))}」的图片"
                if not allowed(product["image"], what):
                    product = {k: v for k, v in product.items() if k != "image"}
            kept.append(product)
        data = {**data, "products": kept}
    brand = data.get("brand")
    if isinstance(brand, dict) and "logo" in brand and not allowed(brand["logo"], "品牌 Logo 图片"):
        data = {**data, "brand": {k: v for k, v in brand.items() if k != "logo"}}
    return data, notes


def canvas_dict(canvas: Canvas) -> dict[str, Any]:
    """The canvas as plain JSON-able data (the form's draft)."""
    return canvas.model_dump(mode="json")


def _toml_ready(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _toml_ready(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_toml_ready(v) for v in data]
    return data


def canvas_toml(canvas: Canvas) -> str:
    data = _toml_ready(canvas.model_dump(mode="json"))
    data["week_start"] = canvas.week_start
    for product, source in zip(data["products"], canvas.products, strict=True):
        product["price"] = source.price
        if source.promo_price is not None:
            product["promo_price"] = source.promo_price
    return tomli_w.dumps(data)


def canvas_json(canvas: Canvas) -> str:
    return canvas.model_dump_json(indent=2, exclude_none=True)


# --- products from spreadsheets ---------------------------------------------------------------


def read_products(raw: bytes, suffix: str) -> list[dict[str, Any]]:
    """Product rows from an XLSX or CSV sheet whose first row names the columns."""
    suffix = suffix.lower().lstrip(".")
    if suffix == "csv":
        rows = _csv_rows(raw)
    elif suffix == "xlsx":
        rows = _xlsx_rows(raw)
    else:
        raise CanvasError(f"不支持的文件类型 .{suffix}，商品表请用 .xlsx 或 .csv")
    if not rows:
        raise CanvasError(
            "商品表是空的：第一行写列名（如 商品名称、原价、活动价、产品特点），下面每行一个商品"
        )
    header = [str(h or "").strip() for h in rows[0]]
    fields = [PRODUCT_HEADERS.get(h, h if h in PRODUCT_FIELDS else None) for h in header]
    if "name" not in fields or "price" not in fields:
        raise CanvasError(f"商品表缺少「商品名称」或「原价」列（现在的列：{'、'.join(header)}）")
    products = []
    for row in rows[1:]:
        product: dict[str, Any] = {}
        for field, cell in zip(fields, row, strict=False):
            if field is None or cell is None or str(cell).strip() == "":
                continue
            product[field] = _cell(field, cell)
        if product:
            products.append(product)
    if not products:
        raise CanvasError("商品表只有列名，没有商品行")
    return products


def _cell(field: str, cell: Any) -> Any:
    if field in LIST_FIELDS:
        return split_items(cell)
    if field in {"price", "promo_price"}:
        return _number(cell)
    if field == "stock":
        number = _number(cell)
        return int(number) if isinstance(number, float) and number.is_integer() else number
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _number(cell: Any) -> Any:
    if isinstance(cell, int | float | Decimal):
        return float(cell)
    text = str(cell).strip().removeprefix("¥").removeprefix("￥").removesuffix("元")
    try:
        return float(text)
    except ValueError:
        return text  # left as written: validation names the cell and says what is wrong


def _csv_rows(raw: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CanvasError("CSV 文件编码无法识别，请另存为 UTF-8")
    try:
        rows = _limited(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise CanvasError(
            "CSV 格式错误（某个单元格太长或引号没配对），请在 Excel 里重新另存"
        ) from None
    return [row for row in rows if any(c.strip() for c in row)]


def _limited(rows: Any) -> list[list[Any]]:
    """At most MAX_SHEET_ROWS rows of at most MAX_SHEET_COLUMNS cells, else a Chinese error."""
    taken = [list(row)[:MAX_SHEET_COLUMNS] for row in itertools.islice(rows, MAX_SHEET_ROWS + 1)]
    if len(taken) > MAX_SHEET_ROWS:
        raise CanvasError(f"商品表行数太多（超过 {MAX_SHEET_ROWS} 行）：一张画布最多 20 个商品")
    return taken


def _xlsx_rows(raw: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise CanvasError(
            "无法读取这个 Excel 文件：请确认是 .xlsx 格式（不是 .xls 或改了后缀的文件）"
        ) from None
    try:
        rows = _limited(book.worksheets[0].iter_rows(values_only=True, max_col=MAX_SHEET_COLUMNS))
    except CanvasError:
        raise
    except Exception:  # a damaged sheet inside a readable workbook: openpyxl's many types again
        raise CanvasError("Excel 文件内容已损坏，请重新导出后再导入") from None
    finally:
        book.close()
    return [r for r in rows if any(c is not None and str(c).strip() for c in r)]


def next_monday(today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def empty_draft() -> dict[str, Any]:
    """A blank canvas for the form: defaults filled, required text left empty."""
    return {
        "name": "",
        "week_start": next_monday().isoformat(),
        "theme": {"name": "", "kind": "日常运营", "description": ""},
        "brand": {"name": "", "colors": ["#E4393C", "#FFF4E0"], "trademarks": []},
        "personas": [],
        "scenes": ["社区团购群"],
        "channels": ["社群", "朋友圈"],
        "speaker": {"name": "", "ip_type": "群主IP", "tone": "亲切、真诚、像邻居一样说话"},
        "avoid_words": [],
        "products": [],
        "warmup": {"methods": ["预告", "加群"], "days_before": 1, "notes": ""},
        "burst": {
            "methods": ["秒杀"],
            "flash_sale_times": ["10:00", "12:00", "15:00", "18:00"],
            "group_buy": False,
            "launch_day": 3,
            "livestream_day": None,
            "livestream_time": "20:00",
            "livestream_minutes": 90,
            "service": "",
            "notes": "",
        },
        "group_rules": [],
    }
