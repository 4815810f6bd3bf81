"""Text normalisation for matching, with a map back to the original character offsets.

In order:
1. traditional → simplified with OpenCC (`t2s`), character for character;
2. full-width digits, letters and the signs the rules read become ASCII, letters lower case;
3. spaces, invisible characters, decorative marks and emoji are dropped (「全 网 最 低」,
   「全🔥网最低」), and so are joining marks between two Chinese characters (「微-信」, 「最.好」);
   listed split or look-alike sequences are replaced by the character they stand for
   (「彳敚信」 → 「微信」, data in compliance.toml [normalise.sequences]).
Steps 1 and 2 keep every position; step 3 records each change as a segment, so a span of the
normalised text maps back to the original span exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from opencc import OpenCC

# Line breaks are kept: they end a sentence for the context rules.
_SPACES = " \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f"
# Emoji and pictographs (🔥✨❤️👉…): decoration, never part of a term.
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
_CJK = "\u4e00-\u9fff"
_FULL_WIDTH = {
    **{chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF10, 0xFF1A)},
    **{chr(cp): chr(cp - 0xFEE0 + 32) for cp in range(0xFF21, 0xFF3B)},
    **{chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF41, 0xFF5B)},
    **{chr(cp): chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)},
    "％": "%",
    "＋": "+",
    "．": ".",
    "￥": "¥",
    "：": ":",
}


class Normaliser:
    """Built once per lexicon; calling it normalises one text."""

    def __init__(self, *, strip: str, joiners: str, sequences: dict[str, str]) -> None:
        self._t2s = OpenCC("t2s")
        self._table = str.maketrans(_FULL_WIDTH)
        parts = [re.escape(s) for s in sorted(sequences, key=len, reverse=True)]
        parts.append(f"(?<=[{_CJK}])[{re.escape(joiners)}]+(?=[{_CJK}])" if joiners else "(?!)")
        parts.append(f"[{_SPACES}{_INVISIBLE}{_EMOJI}{re.escape(strip)}]+")
        self._changes = re.compile("|".join(parts))
        self._sequences = sequences

    def simplified(self, text: str) -> str:
        """Traditional characters as simplified ones, never changing the length."""
        converted = self._t2s.convert(text)
        if len(converted) == len(text):
            return converted
        # A phrase conversion changed the length: convert character by character instead.
        return "".join(c if len(s := self._t2s.convert(c)) != 1 else s for c in text)

    def __call__(self, text: str) -> Normalised:
        text = self.simplified(text).translate(self._table)
        segments: list[tuple[int, int, int, int]] = []  # (normal at, original at, lengths…)
        pieces: list[str] = []
        kept = removed = 0
        for match in self._changes.finditer(text):
            begin, end = match.span()
            replacement = self._sequences.get(match.group(), "")
            pieces += [text[kept:begin], replacement]
            segments.append((begin - removed, begin, end - begin, len(replacement)))
            removed += end - begin - len(replacement)
            kept = end
        if not segments:
            return Normalised(text, ())
        pieces.append(text[kept:])
        return Normalised("".join(pieces), tuple(segments))


@dataclass(frozen=True)
class Normalised:
    text: str
    # (normalised index, original index, original length, replacement length) per change
    segments: tuple[tuple[int, int, int, int], ...]

    def _segment(self, index: int) -> tuple[int, int, int, int] | None:
        at = bisect_right(self.segments, (index, float("inf"))) - 1
        return self.segments[at] if at >= 0 else None

    def origin(self, index: int) -> int:
        """Original offset of the normalised character at `index`."""
        segment = self._segment(index)
        if segment is None:
            return index
        normal, original, length, replaced = segment
        if index < normal + replaced:  # inside a replacement: its whole source
            return original
        return index - normal - replaced + original + length

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the normalised [start, end)."""
        last = self._segment(end - 1)
        if last is not None and last[0] <= end - 1 < last[0] + last[3]:
            return self.origin(start), last[1] + last[2]
        return self.origin(start), self.origin(end - 1) + 1
