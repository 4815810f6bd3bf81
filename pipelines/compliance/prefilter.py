"""Matching a large ordered alternation quickly, with exactly the semantics of one regex.

`re` skips ahead quickly only for patterns that begin with a literal or a character class; an
alternation of ~50 named groups defeats that, and entering every branch at every character of
a week of text costs tens of milliseconds. `first_chars` reads a parsed pattern for the set of
characters its matches can start with; `Dispatcher` searches the union of those sets in C and,
at each candidate, tries only the parts that can start with that character, in their order.
All patterns are compiled with re.ASCII, so \\d means 0-9 and the sets are exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# The parser is not public API; if its shape ever changes we fall back to a plain finditer.
try:
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - other Python implementations
    sre_parse = None  # type: ignore[assignment]

_ZERO_WIDTH = ("ASSERT", "ASSERT_NOT", "AT")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_MAX_RANGE = 64  # wider classes (all CJK) make a part "wild": tried at every candidate


class _Unknown(Exception):
    """The pattern uses something the reader does not follow: no filter."""


def first_chars(pattern: str) -> frozenset[str] | None:
    """Every character a match of `pattern` can start with; None when that cannot be told.

    Small classes are expanded; \\d is 0-9 (patterns are compiled with re.ASCII).
    """
    if sre_parse is None:
        return None
    try:
        chars, nullable = _first(sre_parse.parse(pattern, re.ASCII).data)
    except (_Unknown, AttributeError, TypeError, ValueError):
        return None
    return None if nullable or not chars else frozenset(chars)


class Dispatcher:
    """An ordered alternation of named parts, matched exactly like `re.compile("|".join(parts))`.

    Each part's first characters are known, so at a position only the parts that can start with
    that character are tried: a candidate search in C, then one small pattern per character.
    """

    def __init__(self, parts: list[tuple[str, str]]) -> None:
        self.parts = parts  # (group name, regex), in priority order
        self.full = _join(parts)
        firsts = [first_chars(regex) for _, regex in parts]
        self.wild = [i for i, chars in enumerate(firsts) if chars is None]
        self.by_char: dict[str, list[int]] = {}
        for index, chars in enumerate(firsts):
            for char in chars or ():
                self.by_char.setdefault(char, []).append(index)
        self.starts = (
            None
            if self.wild
            else re.compile("[" + "".join(sorted(map(re.escape, self.by_char))) + "]")
        )
        self.compiled: dict[str, re.Pattern[str]] = {}

    def _for(self, char: str) -> re.Pattern[str]:
        pattern = self.compiled.get(char)
        if pattern is None:
            indexes = sorted(self.by_char[char] + self.wild)
            pattern = _join([self.parts[i] for i in indexes])
            self.compiled[char] = pattern
        return pattern

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Exactly `self.full.finditer(text)` (lookbehinds still see the whole text)."""
        if self.starts is None:
            yield from self.full.finditer(text)
            return
        position = 0
        search, pattern_for = self.starts.search, self._for
        while (candidate := search(text, position)) is not None:
            at = candidate.start()
            found = pattern_for(text[at]).match(text, at)
            if found is None:
                position = at + 1
                continue
            yield found
            position = found.end()


def _join(parts: list[tuple[str, str]]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in parts), re.ASCII)


def _first(items: list) -> tuple[set[str], bool]:
    """(first-character class fragments, whether the sequence can match the empty string)."""
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        if name == "LITERAL":
            out.add(chr(av))
            return out, False
        if name == "IN":
            out |= _charset(av)
            return out, False
        if name == "BRANCH":
            nullable = False
            for alternative in av[1]:
                chars, empty = _first(alternative.data)
                out |= chars
                nullable |= empty
            if not nullable:
                return out, False
        elif name == "SUBPATTERN":
            chars, empty = _first(av[-1].data)
            out |= chars
            if not empty:
                return out, False
        elif name in _REPEATS:
            low, _high, sub = av
            chars, empty = _first(sub.data)
            out |= chars
            if low > 0 and not empty:
                return out, False
        else:
            raise _Unknown(name)
    return out, True


def _charset(items: list) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.add(chr(av))
        elif name == "RANGE" and av[1] - av[0] <= _MAX_RANGE:
            out.update(chr(c) for c in range(av[0], av[1] + 1))
        elif name == "CATEGORY" and str(av) == "CATEGORY_DIGIT":
            out.update("0123456789")
        else:
            raise _Unknown(name)
    return out
