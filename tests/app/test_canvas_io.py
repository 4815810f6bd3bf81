"""Canvas files in and out: spreadsheets of products, list cells, examples."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from app_pages._canvas_io import (
    list_examples,
    parse_raw,
    read_products,
    split_items,
    split_times,
)
from pipelines.errors import CanvasError


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("整块原切；冷链到家", ["整块原切", "冷链到家"]),
        ("a;b|c", ["a", "b", "c"]),
        ("无香精、无酒精配方", ["无香精、无酒精配方"]),
        ("  ", []),
        (None, []),
        (["x", " ", "y"], ["x", "y"]),
    ],
)
def test_list_cells_split_on_chinese_and_latin_separators(cell, items) -> None:
    assert split_items(cell) == items


@pytest.mark.parametrize(
    ("cell", "times"),
    [("10:00、12:00", ["10:00", "12:00"]), ("10:00, 12:00，18:00", ["10:00", "12:00", "18:00"])],
)
def test_flash_sale_times_split_on_any_list_mark(cell, times) -> None:
    assert split_times(cell) == times


def test_products_are_read_from_an_xlsx_sheet_with_chinese_headers() -> None:
    raw = xlsx(
        [["商品名称", "原价", "活动价", "特点", "库存"], ["牛肉卷", 59.9, 39.9, "原切；冷链", 200]]
    )
    assert read_products(raw, ".xlsx") == [
        {
            "name": "牛肉卷",
            "price": 59.9,
            "promo_price": 39.9,
            "features": ["原切", "冷链"],
            "stock": 200,
        }
    ]


def test_a_gbk_csv_from_excel_is_read_too() -> None:
    raw = "商品名称,原价\n豆浆,¥8\n".encode("gb18030")
    assert read_products(raw, "csv") == [{"name": "豆浆", "price": 8.0}]


@pytest.mark.parametrize(
    ("raw", "suffix", "message"),
    [
        (b"name,price\n", "csv", "只有列名"),
        ("规格,库存\n1,2\n".encode(), "csv", "缺少「商品名称」或「原价」列"),
        (b"not a workbook", "xlsx", "无法读取这个 Excel 文件"),
        (b"x", "xls", "不支持的文件类型 .xls"),
    ],
)
def test_unusable_product_sheets_are_refused_in_chinese(raw, suffix, message) -> None:
    with pytest.raises(CanvasError, match=message):
        read_products(raw, suffix)


def test_every_bundled_example_is_listed_by_its_name() -> None:
    examples = list_examples()
    assert "邻里鲜周末团（fresh_groupbuy）" in examples
    for path in examples.values():
        assert parse_raw(path.read_bytes(), "toml")["name"]
