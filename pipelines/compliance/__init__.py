"""The compliance checker: 广告法 and platform-rule risks in every generated text.

    from pipelines.compliance import scan_text, scan_item, annotate, has_errors
    scan_text("全网最低价，手慢无！")            # findings with spans into the original text
    annotate(post, canvas)                        # the same item, its `findings` filled in

The lexicon and the rules are data (pipelines/playbook/compliance.toml, with the word lists in
compliance_words.toml). Categories: 绝对化用语, 虚构数据, 医疗功效, 效果保证, 诱导分享,
站外导流 (小红书 only), 虚假紧迫, and the canvas's own 避免用词. Precision principles (label
facts, self-description, consumption advice and usage conditions, negation before or after, a
negated or debunked claim, proper names and titles, aspiration and plans, objective and historical
facts, a garment's visual effect) turn a match into a warning with the reason. A guarantee is
marked on its own words (保证, 彻底, 一次) so the efficacy claim after it is reported too. Figures are checked against the canvas's evidence
(pipelines/content/evidence.py, the same function the output models use): unbacked ones are
errors when a canvas is given, warnings ("请核实有据") when not.

Texts of one channel are joined and scanned in one pass (a week package takes a few scans, not
hundreds). What the checker reads from a canvas is cached per canvas object: canvases are
replaced, not edited in place, once content is generated from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pipelines.canvas import Canvas, Channel
from pipelines.compliance.lexicon import Lexicon, load_lexicon, read_lexicon
from pipelines.compliance.scanner import FactsCache, K, Scan
from pipelines.content import (
    Finding,
    Item,
    LivestreamScript,
    Post,
    SellingPoints,
    WeekPackage,
    iter_texts,
)

__all__ = [
    "Finding",
    "Lexicon",
    "annotate",
    "has_errors",
    "load_lexicon",
    "read_lexicon",
    "scan_item",
    "scan_package",
    "scan_text",
]

_FACTS = FactsCache()
ItemT = TypeVar("ItemT", bound=Item)


def scan_text(
    text: str,
    *,
    field: str = "text",
    canvas: Canvas | None = None,
    channel: Channel | str | None = None,
) -> list[Finding]:
    """Findings in one text, ordered by position; `text[f.start:f.end] == f.span`.

    `channel` switches on channel rules (小红书 off-platform steering); None leaves them off.
    """
    name = Channel(channel).value if channel is not None else None
    return [f for _, f in _scan({name: [(0, field, text)]}, canvas)]


def scan_item(item: Item, canvas: Canvas | None = None) -> list[Finding]:
    """Findings in every text of an item; `field` is the path `iter_texts` gives."""
    return [f for _, f in _scan_items([item], canvas)]


def annotate(item: ItemT, canvas: Canvas | None = None) -> ItemT:
    """Set the item's findings from a fresh scan and return the item."""
    item.findings = scan_item(item, canvas)
    return item


def scan_package(package: WeekPackage) -> list[tuple[Item, list[Finding]]]:
    """Every item of a week package with its fresh findings, in reading order."""
    items = list(package.items())
    per_item: list[list[Finding]] = [[] for _ in items]
    for index, finding in _scan_items(items, package.canvas):
        per_item[index].append(finding)
    return list(zip(items, per_item, strict=True))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def _scan_items(items: list[Item], canvas: Canvas | None) -> list[tuple[int, Finding]]:
    """(item index, finding) for every text of the items, one scan per channel."""
    by_channel: dict[str | None, list[tuple[tuple[int, int], str, str]]] = {}
    for index, item in enumerate(items):
        fixed = _channel(item, "")
        per_path = isinstance(item, SellingPoints)
        for order, (path, text) in enumerate(iter_texts(item)):
            channel = _channel(item, path) if per_path else fixed
            by_channel.setdefault(channel, []).append(((index, order), path, text))
    found = _scan(by_channel, canvas)
    found.sort(key=lambda pair: (pair[0], pair[1].start))
    return [(index, finding) for (index, _), finding in found]


def _scan(
    by_channel: dict[str | None, list[tuple[K, str, str]]], canvas: Canvas | None
) -> list[tuple[K, Finding]]:
    lexicon = load_lexicon()
    facts = _FACTS.get(canvas, lexicon) if canvas is not None else None
    found: list[tuple[K, Finding]] = []
    for channel, texts in by_channel.items():
        found += Scan(lexicon, texts, facts=facts, channel=channel).run()
    return found


def _channel(item: Item, path: str) -> str | None:
    """Where a text goes out: a post's channel, a selling-point variant's, the livestream room."""
    if isinstance(item, Post):
        return item.channel.value
    if isinstance(item, LivestreamScript):
        return Channel.LIVESTREAM.value
    if isinstance(item, SellingPoints) and path.startswith("variants["):
        index = int(path[len("variants[") : path.index("]")])
        return item.variants[index].channel.value
    return None
