"""Text normalisation for matching, with a map back to the original character offsets.

Spaces and decorative marks are dropped (so 「全 网 最 低」 matches), full-width letters and
digits become half-width, Latin letters become lower case and listed traditional characters
become simplified.
Every kept character maps one-to-one, so only the dropped positions are needed to map back.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# Line breaks are kept: they end a sentence for the context rules.
_SPACES = " \t\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


@dataclass(frozen=True)
class Normaliser:
    """What to replace (one character by one) and what to drop, applied by one regex."""

    replace: dict[str, str]  # character → replacement, "" to drop it
    changed: re.Pattern[str]  # any character in `replace`
    dropped: re.Pattern[str]  # the characters replaced by ""

    @classmethod
    def build(cls, *, strip: str, traditional: str) -> Normaliser:
        # Full-width digits, letters and the few signs the rules read (％ ＋ ．); full-width
        # punctuation such as ，！？ stays: the rules name both forms, and it is common enough
        # that replacing it would dominate the time.
        replace = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF10, 0xFF1A)}
        replace |= {chr(cp): chr(cp - 0xFEE0 + 32) for cp in range(0xFF21, 0xFF3B)}
        replace |= {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF41, 0xFF5B)}
        replace |= {"％": "%", "＋": "+", "．": ".", "￥": "¥"}
        replace |= {chr(cp): chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)}
        replace |= {traditional[i]: traditional[i + 1] for i in range(0, len(traditional) - 1, 2)}
        removed = _SPACES + _INVISIBLE + strip
        replace |= dict.fromkeys(removed, "")
        return cls(
            replace,
            re.compile(f"[{re.escape(''.join(replace))}]"),
            re.compile(f"[{re.escape(removed)}]"),
        )

    def __call__(self, text: str) -> Normalised:
        if self.changed.search(text) is None:
            return Normalised(text, ())
        normal = self.changed.sub(lambda m: self.replace[m.group()], text)
        if len(normal) == len(text):
            return Normalised(normal, ())
        # shifts[k] = the normalised index at which the k-th dropped character was removed
        shifts = tuple(m.start() - k for k, m in enumerate(self.dropped.finditer(text)))
        return Normalised(normal, shifts)


@dataclass(frozen=True)
class Normalised:
    text: str
    shifts: tuple[int, ...]

    def origin(self, index: int) -> int:
        """Original offset of the normalised character at `index`."""
        return index + bisect_right(self.shifts, index) if self.shifts else index

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the normalised [start, end)."""
        return self.origin(start), self.origin(end - 1) + 1
