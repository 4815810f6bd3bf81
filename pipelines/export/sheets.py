"""Spreadsheets: the calendar as XLSX and CSV, FABE selling points as XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.content import Post, SellingPoints
from pipelines.store import PackageView, StoredItem

WEEKDAYS = "一二三四五六日"
CALENDAR_COLUMNS = [
    "日期", "星期", "时间", "渠道", "活动类型", "形式", "目标", "商品",
    "标题", "文案", "海报类型", "条目编号", "版本", "审核人", "合规提示",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: object) -> str:
    """CSV text a spreadsheet will never run as a formula (generated text is data, not code).

    CSV has no cell types, so the leading ' is the only guard; XLSX cells are typed (`_put`).
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _xml_safe(value: object) -> str:
    """Text without the control characters XML (and so openpyxl) refuses."""
    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))


def _put(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """A text cell shown exactly as written: typed as a string, never a formula, and marked
    quote-prefixed when it starts like one, so Excel keeps it text when someone edits it."""
    text = _xml_safe(value)
    cell = sheet.cell(row=row, column=column)
    cell.value = text
    cell.data_type = "s"  # openpyxl would store "=…" as a formula
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True


def _findings(stored: StoredItem) -> str:
    return "；".join(f"{f.span}（{f.rule}）" for f in stored.item.findings)


def calendar_rows(view: PackageView) -> list[list[str]]:
    rows = []
    for stored in view.posts:
        post: Post = stored.item  # type: ignore[assignment]
        product = view.canvas.product(post.product_id).name if post.product_id else ""
        rows.append(
            [
                post.date.isoformat(),
                f"周{WEEKDAYS[post.date.weekday()]}",
                post.time,
                post.channel.value,
                post.activity_type,
                post.form,
                post.goal,
                product,
                post.title,
                post.body,
                post.poster_kind.value if post.poster_kind else "",
                post.id,
                str(stored.version),
                stored.approved_by or "",
                _findings(stored),
            ]
        )
    return rows


def _workbook(sheets: dict[str, tuple[list[str], list[list[str]]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                _put(sheet, number, column, value)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width * 2, 8), 60)
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def calendar_xlsx(view: PackageView) -> bytes:
    return _workbook({"一周日历": (CALENDAR_COLUMNS, calendar_rows(view))})


def calendar_csv(view: PackageView) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CALENDAR_COLUMNS)
    writer.writerows([_plain(_xml_safe(v)) for v in row] for row in calendar_rows(view))
    return buffer.getvalue().encode("utf-8-sig")


def fabe_xlsx(view: PackageView) -> bytes:
    fabe_rows, variant_rows = [], []
    for stored in view.selling_points:
        points: SellingPoints = stored.item  # type: ignore[assignment]
        for entry in points.fabe:
            fabe_rows.append(
                [
                    points.product,
                    entry.feature,
                    entry.advantage,
                    entry.benefit,
                    entry.evidence,
                    points.scene_line,
                    str(stored.version),
                    stored.approved_by or "",
                ]
            )
        for variant in points.variants:
            variant_rows.append(
                [points.product, variant.channel.value, variant.persona, variant.body]
            )
    return _workbook(
        {
            "FABE卖点": (
                ["商品", "属性 F", "作用 A", "益处 B", "证据 E", "场景还原", "版本", "审核人"],
                fabe_rows,
            ),
            "渠道文案": (["商品", "渠道", "人群", "文案"], variant_rows),
        }
    )
