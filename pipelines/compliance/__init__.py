"""The compliance checker: 广告法 and platform-rule risks in every generated text.

    from pipelines.compliance import scan_text, scan_item, annotate, has_errors
    scan_text("全网最低价，手慢无！")            # findings with spans into the original text
    annotate(post, canvas)                        # the same item, its `findings` filled in

The lexicon and the rules are data (pipelines/playbook/compliance.toml). Categories: 绝对化用语,
虚构数据, 医疗功效, 诱导分享, 站外导流 (小红书 only), 虚假紧迫, and the canvas's own 避免用词.
Known exemptions (第一次, 最佳食用期, the brand's trademarks, self-comparison) are warnings with
the reason. Evidence claims are checked against the canvas's numbers and words: unbacked ones are
errors when a canvas is given, warnings ("请核实有据") when not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pipelines.canvas import Canvas, Channel
from pipelines.compliance.lexicon import Lexicon, load_lexicon, read_lexicon
from pipelines.compliance.scanner import FactsCache, Scan
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
    lexicon = load_lexicon()
    facts = _FACTS.get(canvas, lexicon) if canvas is not None else None
    normal = lexicon.normalise(text)
    name = Channel(channel).value if channel is not None else None
    return Scan(lexicon, normal, text, field=field, facts=facts, channel=name).run()


def scan_item(item: Item, canvas: Canvas | None = None) -> list[Finding]:
    """Findings in every text of an item; `field` is the path `iter_texts` gives."""
    findings: list[Finding] = []
    for path, text in iter_texts(item):
        channel = _channel(item, path)
        findings += scan_text(text, field=path, canvas=canvas, channel=channel)
    return findings


def annotate(item: ItemT, canvas: Canvas | None = None) -> ItemT:
    """Set the item's findings from a fresh scan and return the item."""
    item.findings = scan_item(item, canvas)
    return item


def scan_package(package: WeekPackage) -> list[tuple[Item, list[Finding]]]:
    """Every item of a week package with its fresh findings, in reading order."""
    return [(item, scan_item(item, package.canvas)) for item in package.items()]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def _channel(item: Item, path: str) -> Channel | None:
    """Where a text goes out: a post's channel, a selling-point variant's, the livestream room."""
    if isinstance(item, Post):
        return item.channel
    if isinstance(item, LivestreamScript):
        return Channel.LIVESTREAM
    if isinstance(item, SellingPoints) and path.startswith("variants["):
        index = int(path[len("variants[") : path.index("]")])
        return item.variants[index].channel
    return None
