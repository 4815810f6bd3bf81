"""Shared pieces of the output models: the item base, findings, usage, text helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo

from pipelines.canvas import Canvas, Product
from pipelines.textcheck import unsafe_reason

Severity = Literal["error", "warning"]


def _printable(value: str) -> str:
    # Control characters, NUL and bidi overrides from a model would break the DOCX and XLSX
    # exports and can disguise text; an answer carrying them is refused (and asked again).
    reason = unsafe_reason(value)
    if reason is not None:
        raise ValueError(f"文字{reason}")
    return value


def text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_printable),
    ]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _canvas(info: ValidationInfo) -> Canvas | None:
    context = info.context or {}
    canvas = context.get("canvas")
    return canvas if isinstance(canvas, Canvas) else None


class Finding(_Model):
    """One compliance finding on one text field of an item."""

    category: str
    field: str = Field(description="path of the text inside its item, e.g. 'copy'")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    span: str
    severity: Severity
    rule: str
    why: str
    suggestion: str


class Usage(_Model):
    """Token usage from the API's usage field (zero for the template engine)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Item(_Model):
    """Anything a reviewer acts on: it has a stable id and carries its compliance findings."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_:.-]{0,63}$")]
    findings: list[Finding] = Field(default_factory=list)


# --- helpers shared by engines and checks ----------------------------------------------------

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers_in(value: str) -> list[str]:
    """Digit runs in a text, as written (e.g. '39.9', '300')."""
    return _NUMBER.findall(value)


def canvas_numbers(canvas: Canvas) -> set[str]:
    """Every number the canvas mentions anywhere, schedule included (dates, times, prices…).

    This answers "may this digit appear in the copy at all"; whether a figure *backs a claim*
    is `pipelines.content.evidence.CanvasEvidence` (the models and the checker both ask it).
    """
    found = set(numbers_in(canvas.model_dump_json()))
    for product in canvas.products:
        for price in (product.price, product.promo_price):
            if price is not None:
                found.add(format_price(price))
    return found


def format_price(value: Decimal) -> str:
    """39.90 → '39.9', 59.00 → '59'."""
    normalised = value.quantize(Decimal("0.01")).normalize()
    return f"{normalised:f}"


def iter_texts(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, text) for every human-readable string inside a model; ids are skipped."""
    for name, value in model:
        if name in {"id", "findings", "product_id", "post_id", "time", "date"}:
            continue
        path = f"{prefix}{name}"
        yield from _texts_of(value, path)


def _texts_of(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, StrEnum):
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_texts(value, f"{path}.")
    elif isinstance(value, list):
        for index, element in enumerate(value):
            yield from _texts_of(element, f"{path}[{index}]")


def product_for(canvas: Canvas, product_id: str | None) -> Product | None:
    if product_id is None:
        return None
    try:
        return canvas.product(product_id)
    except KeyError:
        return None
