"""What the canvas backs: the one definition of "a figure the canvas gave".

Both the output models (a selling point's evidence) and the compliance checker (a sales figure,
a rating, a label percentage in the copy) ask the same question — does the canvas carry every
number of this claim? — and get the answer here.

A number is backed when the canvas gives it as a price or a stock figure (any unit may follow
those), or when it appears in the canvas's own words followed by the same unit: 「复购126单」 is
backed by 「上周团购复购 126 单」 but not by 「500g/盒」, 「棉100%」 by 「面料 棉100%」.
Scheduling fields (week start, launch day, flash-sale times, colours, links, image paths) are
not evidence, and neither are dates or clock times inside a claim.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.canvas import Canvas
from pipelines.content.base import format_price

# A number and the character after it: its unit (件, 单, %, g, 万…), or "" at the end.
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)(\D?)", re.ASCII)
# Dates and clock times inside a claim say when, not how much.
_WHEN = re.compile(
    r"\d{4}年|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[:：]\d{2}|\d{1,2}[日号]"
)
# The canvas fields whose numbers back no claim: when things happen and how they look.
SCHEDULE = {
    "week_start": True,
    "brand": {"colors", "logo", "qr_link"},
    "burst": {"flash_sale_times", "launch_day", "livestream_day", "livestream_time"},
    "warmup": {"days_before"},
    "products": {"__all__": {"id", "image"}},
}

Normalise = Callable[[str], str]


def plain(text: str) -> str:
    """Full-width digits and signs as ASCII, letters in lower case (NFKC, then casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


def plain_number(value: str) -> str:
    """'39.90' → '39.9', '59.0' → '59': numbers compare by value as written."""
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def numbers_with_units(text: str) -> set[tuple[str, str]]:
    """(number, the character after it) for every number in an already normalised text."""
    return {(plain_number(n), unit) for n, unit in _NUMBER_UNIT.findall(_WHEN.sub("", text))}


@dataclass(frozen=True)
class CanvasEvidence:
    """The canvas's facts, normalised once: its words, its figures, its prices and stock."""

    text: str  # the canvas's own words (schedule fields left out), normalised
    bare: frozenset[str]  # prices and stock: they back a figure in any unit
    numbers: frozenset[tuple[str, str]]  # (number, unit) as the canvas's words give them

    @classmethod
    def of(cls, canvas: Canvas, normalise: Normalise = plain) -> CanvasEvidence:
        text = normalise(canvas.model_dump_json(exclude=SCHEDULE))
        bare = {format_price(p.price) for p in canvas.products}
        bare |= {format_price(p.promo_price) for p in canvas.products if p.promo_price}
        bare |= {str(p.stock) for p in canvas.products if p.stock is not None}
        return cls(text=text, bare=frozenset(bare), numbers=frozenset(numbers_with_units(text)))

    def unbacked(self, claim: str) -> list[str]:
        """The numbers of a normalised claim the canvas does not carry, in the claim's order."""
        return [
            number
            for number, unit in sorted(numbers_with_units(claim), key=lambda p: claim.find(p[0]))
            if number not in self.bare and (number, unit) not in self.numbers
        ]

    def backs(self, claim: str) -> bool:
        """A figure claim is backed when it has numbers and the canvas carries every one."""
        return bool(numbers_with_units(claim)) and not self.unbacked(claim)

    def says(self, words: str) -> bool:
        """The canvas says these (normalised) words itself."""
        return bool(words) and words in self.text


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\s，。、；：,.;:！？!?（）()「」]", "", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def assign_evidence(features: list[str], evidence: list[str]) -> list[str]:
    """The canvas evidence line for each feature ('' when none), so that a product with evidence
    always shows it.

    A line that shares words with a feature supports that feature (the best match wins). The
    lines that support no feature in particular (a test report, a filing, a review page) are the
    product's own proof: they go, in the canvas's order, to the features no line matched, each
    line once. A line is never put beside a feature it matched against another one.
    """
    scores = [[len(_bigrams(line) & _bigrams(f)) for line in evidence] for f in features]
    chosen = []
    for row in scores:
        best = max(range(len(evidence)), key=lambda i: row[i], default=None)
        chosen.append(evidence[best] if best is not None and row[best] > 0 else "")
    matched = {i for row in scores for i, score in enumerate(row) if score > 0}
    general = [line for i, line in enumerate(evidence) if i not in matched]
    for index, line in enumerate(chosen):
        if not line and general:
            chosen[index] = general.pop(0)
    return chosen
