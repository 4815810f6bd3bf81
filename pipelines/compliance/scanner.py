"""Scanning texts: master-pattern matches, then the context rules that refine each match."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

from pipelines.canvas import Canvas
from pipelines.compliance.lexicon import Lexicon, Principle, Rule
from pipelines.content import Finding
from pipelines.content.evidence import CanvasEvidence

K = TypeVar("K", bound=Hashable)  # what a scanned text's findings are reported against
_SENTENCE_END = "。!?;\n！？；"
_CLAUSE_END = _SENTENCE_END + ",，"
_NEGATION_WINDOW = 8
_QUOTE_REACH = 24  # characters after a quote claim's trigger that make up the claim
TRADEMARK_SUGGESTION = "商标按注册样式原样使用，不要拆开或在前后加「最」「第一」等字"
AVOID_CATEGORY = "画布禁用词"
NO_CANVAS_NOTE = "（未提供画布，无法核对：请核实有据）"
SELF_COMPARISON_NOTE = (
    "同一句是与自家产品或经营的比较，属执法指南的例外；请确认比较对象明确、说法属实"
)
TRADEMARK_NOTE = (
    "「{mark}」是画布登记的注册商标，按商标原样使用属例外；请确认已注册，且商标外没有叠加绝对化说法"
)


@dataclass(frozen=True)
class CanvasFacts:
    """What the checker needs from a canvas, normalised once: its evidence and its own words."""

    evidence: CanvasEvidence
    trademarks: re.Pattern[str] | None
    avoid: re.Pattern[str] | None

    @classmethod
    def of(cls, canvas: Canvas, lexicon: Lexicon) -> CanvasFacts:
        return cls(
            evidence=CanvasEvidence.of(canvas, lambda text: lexicon.normalise(text).text),
            trademarks=_alternation(lexicon, canvas.brand.trademarks),
            avoid=_alternation(lexicon, canvas.avoid_words),
        )


def _alternation(lexicon: Lexicon, words: list[str]) -> re.Pattern[str] | None:
    normal = sorted({lexicon.normalise(w).text for w in words} - {""}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, normal))) if normal else None


class FactsCache:
    """Canvas facts by canvas object: a week scans dozens of items against one canvas.

    Keyed by identity (canvases are replaced, not edited in place, once a week is generated);
    the entry keeps its canvas alive so an id is never reused for a different canvas.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.entries: OrderedDict[int, tuple[Canvas, CanvasFacts]] = OrderedDict()

    def get(self, canvas: Canvas, lexicon: Lexicon) -> CanvasFacts:
        entry = self.entries.get(id(canvas))
        if entry is not None and entry[0] is canvas:
            self.entries.move_to_end(id(canvas))
            return entry[1]
        facts = CanvasFacts.of(canvas, lexicon)
        self.entries[id(canvas)] = (canvas, facts)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return facts


@dataclass(frozen=True)
class _Hit:
    """A finding in the coordinates of the joined original text."""

    begin: int
    finish: int
    category: str
    severity: str
    rule: str
    why: str
    suggestion: str


class Scan(Generic[K]):
    """Texts of one channel scanned together: joined by line breaks, normalised once.

    Each text comes as (key, field, text). No rule matches across a line break, so each finding
    falls inside one text; it is reported against that text's key, with offsets into the text.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        texts: Sequence[tuple[K, str, str]],
        *,
        facts: CanvasFacts | None,
        channel: str | None,
    ) -> None:
        self.lexicon = lexicon
        self.keys = [(key, field) for key, field, _ in texts]
        self.original = "\n".join(text for *_, text in texts)
        self.starts = list(accumulate((len(t) + 1 for *_, t in texts[:-1]), initial=0))
        self.normal = lexicon.normalise(self.original)
        self.text = self.normal.text
        self.facts = facts
        self.channel = channel
        self.hits: list[_Hit] = []
        self.marks: list[tuple[int, int]] = []  # registered trademarks in the text

    def run(self) -> list[tuple[K, Finding]]:
        marks = self.facts.trademarks if self.facts is not None else None
        if marks is not None:
            self.marks = [m.span() for m in marks.finditer(self.text)]
        for match in self.lexicon.pattern(self.channel).finditer(self.text):
            self._judge(self.lexicon.rule_of(match), match.start(), match.end())
        if self.facts is not None and self.facts.avoid is not None:
            self._avoid_words(self.facts.avoid)
        return [self._finding(hit) for hit in sorted(self.hits, key=lambda h: h.begin)]

    def _finding(self, hit: _Hit) -> tuple[K, Finding]:
        index = bisect_right(self.starts, hit.begin) - 1
        offset = self.starts[index]
        key, field = self.keys[index]
        finding = Finding(
            category=hit.category,
            field=field,
            start=hit.begin - offset,
            end=hit.finish - offset,
            span=self.original[hit.begin : hit.finish],
            severity=hit.severity,
            rule=hit.rule,
            why=hit.why,
            suggestion=hit.suggestion,
        )
        return key, finding

    # --- one match ----------------------------------------------------------------------------

    def _judge(self, rule: Rule, start: int, end: int) -> None:
        if rule.kind == "allow":
            return
        if rule.negatable and self._negated(start, end):
            return
        if rule.unless_dated and self.lexicon.context.dated.search(self._sentence(start, end)):
            return
        severity, why = rule.severity, rule.why
        if rule.claim:
            if self._supported(rule, start, end):
                return
            if self.facts is None:
                severity, why = "warning", why + NO_CANVAS_NOTE
        suggestion = None
        if rule.self_comparison and self._self_compared(start):
            severity, why = "warning", f"{why}。{SELF_COMPARISON_NOTE}"
        if severity == "error" and (principle := self._principle(rule, start, end)) is not None:
            severity, why = "warning", f"{why}。{principle.why}"
            suggestion = principle.suggestion or None
        mark = next(((s, e) for s, e in self.marks if start < e and s < end), None)
        if mark is not None:
            self._trademark(rule, *mark)
            return
        self._add(rule, start, end, severity, why, suggestion)

    def _principle(self, rule: Rule, start: int, end: int) -> Principle | None:
        """The first precision principle that holds for this match, if any."""
        begin = max(self.text.rfind(c, 0, start) for c in _CLAUSE_END) + 1
        stops = [i for c in _CLAUSE_END if (i := self.text.find(c, end)) >= 0]
        hit, before = self.text[start:end], self.text[begin:start]
        after = self.text[end : min(stops, default=len(self.text))]
        opening = max(self.text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
        sentence = self.text[opening:start]
        return next(
            (
                p
                for p in self.lexicon.principles
                if p.holds(rule.category, hit, before, after, sentence)
            ),
            None,
        )

    def _sentence(self, start: int, end: int) -> str:
        begin = max(self.text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
        stops = [i for c in _SENTENCE_END if (i := self.text.find(c, end)) >= 0]
        return self.text[begin : min(stops, default=len(self.text))]

    def _negated(self, start: int, end: int) -> bool:
        """A negation governs the match: close before it in the clause, its scope not ended.

        The scope ends at a word like 也/就/却 between the negation and the match, or at the
        match's own start (「不用节食也能瘦」「不吃药就能好」 are claims, not negations).
        """
        context = self.lexicon.context
        begin = max(self.text.rfind(c, 0, start) for c in _CLAUSE_END) + 1
        window_start = max(begin, start - _NEGATION_WINDOW)
        found = list(context.negation.finditer(self.text, window_start, start))
        if not found:
            return False
        scope = self.text[found[-1].end() : start] + self.text[start : min(end, start + 2)]
        return context.negation_breaks.search(scope) is None

    def _self_compared(self, start: int) -> bool:
        begin = max(self.text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
        return self.lexicon.context.self_comparison.search(self.text, begin, start) is not None

    def _supported(self, rule: Rule, start: int, end: int) -> bool:
        """A claim is backed when the canvas gives its numbers (or, for quotes, its words).

        A quote claim is its trigger plus the rest of its clause (「研究表明……」).
        """
        if self.facts is None:
            return False
        evidence = self.facts.evidence
        claim = self.text[start:end]
        if rule.claim == "quote":
            stops = [i for c in _CLAUSE_END if (i := self.text.find(c, end)) >= 0]
            claim = self.text[start : min([*stops, len(self.text), end + _QUOTE_REACH])]
            if evidence.says(claim):
                return True
        return evidence.backs(claim)

    # --- canvas-specific words ----------------------------------------------------------------

    def _trademark(self, rule: Rule, start: int, end: int) -> None:
        """A flagged word inside a registered trademark: one warning naming the mark."""
        begin, finish = self.normal.span(start, end)
        if any(h.begin == begin and h.finish == finish for h in self.hits):
            return
        note = TRADEMARK_NOTE.format(mark=self.original[begin:finish])
        self._add(rule, start, end, "warning", note, TRADEMARK_SUGGESTION)

    def _avoid_words(self, avoid: re.Pattern[str]) -> None:
        # The operator's own list wins over a warning: only an error already covers the words.
        taken = [(h.begin, h.finish) for h in self.hits if h.severity == "error"]
        for match in avoid.finditer(self.text):
            begin, finish = self.normal.span(*match.span())
            if any(begin < e and s < finish for s, e in taken):
                continue
            span = self.original[begin:finish]
            self.hits.append(
                _Hit(
                    begin,
                    finish,
                    AVOID_CATEGORY,
                    "error",
                    "画布「避免用词」",
                    "运营在活动画布里要求不用这个词",
                    f"换一种说法，不用「{span}」",
                )
            )

    def _add(
        self,
        rule: Rule,
        start: int,
        end: int,
        severity: str,
        why: str,
        suggestion: str | None = None,
    ) -> None:
        begin, finish = self.normal.span(start, end)
        if suggestion is None:
            span = self.original[begin:finish]
            replacement = rule.replace.get(self.normal.text[start:end])
            suggestion = f"把「{span}」改为「{replacement}」" if replacement else rule.suggestion
        self.hits.append(_Hit(begin, finish, rule.category, severity, rule.law, why, suggestion))
