"""XLSX cells show generated text exactly: never a formula, no stray ', no export-breaking bytes."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pipelines.export.sheets import _workbook

FORMULA_LIKE = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "-5 元立减"]


def cells(rows: list[list[str]]) -> list:
    data = _workbook({"表": (["列"], rows)})
    return [row[0] for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2)]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_is_a_quote_prefixed_string_shown_as_written(text: str) -> None:
    (cell,) = cells([[text]])
    assert cell.value == text  # no literal ' in front
    assert cell.data_type == "s" and cell.quotePrefix


def test_ordinary_text_is_not_quote_prefixed() -> None:
    (cell,) = cells([["原切牛肉卷 39.9 元"]])
    assert cell.value == "原切牛肉卷 39.9 元" and not cell.quotePrefix


def test_control_characters_are_dropped_instead_of_failing_the_export() -> None:
    (cell,) = cells([["牛肉\x00卷\x1b[0m\x0b，换行\n保留"]])
    assert cell.value == "牛肉卷[0m，换行\n保留"
