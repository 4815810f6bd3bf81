"""Matching a large ordered alternation quickly, with exactly the semantics of one regex.

`re` skips ahead quickly only for patterns that begin with a literal or a character class; an
alternation of ~50 named groups defeats that, and entering every branch at every character of
a week of text costs tens of milliseconds. `prefixes` reads a parsed pattern for the first two
characters its matches can start with. `Dispatcher` finds candidate positions with one regex
made of those prefixes (searched in C: most characters of a text are skipped there) and, at a
candidate, tries only the parts that can start with that character, in their order.
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
_SINGLE = ("LITERAL", "IN", "NOT_LITERAL", "ANY")  # one character each
_MAX_CLASS = 64  # a wider class (all CJK) stands for "any character" here
_DEPTH = 2  # characters of prefix used to find candidates


class _Unknown(Exception):
    """The pattern uses something the reader does not follow: no filter."""


def prefixes(pattern: str) -> frozenset[str] | None:
    """Strings of up to two characters that every match of `pattern` starts with one of.

    A one-character prefix means any character (or none) may follow. None: cannot be told.
    """
    if sre_parse is None:
        return None
    try:
        found = _prefixes(list(sre_parse.parse(pattern, re.ASCII).data), _DEPTH)
    except (_Unknown, AttributeError, TypeError, ValueError, RecursionError):
        return None
    return None if "" in found else frozenset(found)


class Dispatcher:
    """An ordered alternation of named parts, matched exactly like `re.compile("|".join(parts))`."""

    def __init__(self, parts: list[tuple[str, str]]) -> None:
        self.parts = parts  # (group name, regex), in priority order
        self.full = _join(parts) if parts else re.compile("(?!)")  # no parts: never matches
        found = [prefixes(regex) for _, regex in parts]
        self.starts: re.Pattern[str] | None = None
        self.by_char: dict[str, list[int]] = {}
        self.compiled: dict[str, re.Pattern[str]] = {}
        if not parts or any(p is None for p in found):
            return
        followers: dict[str, set[str] | None] = {}  # None: any character may follow
        for index, strings in enumerate(found):
            for string in strings or ():
                first = string[0]
                if self.by_char.get(first, [None])[-1] != index:
                    self.by_char.setdefault(first, []).append(index)
                if len(string) == 1:
                    followers[first] = None
                elif followers.setdefault(first, set()) is not None:
                    followers[first].add(string[1])  # type: ignore[union-attr]
        # Candidates come from two character classes (each one test per character in C), not
        # from an alternation of hundreds of prefixes that `re` would try one by one; the
        # second character is then checked against the first one's own followers.
        self.followers = followers
        alone = {first for first, after in followers.items() if after is None}
        paired = set(followers) - alone
        seconds = {c for first in paired for c in followers[first] or ()}
        branches = [_class(alone)] if alone else []
        if paired:
            branches.append(f"{_class(paired)}(?={_class(seconds)})")
        self.starts = re.compile("|".join(branches), re.ASCII)

    def _for(self, char: str) -> re.Pattern[str]:
        pattern = self.compiled.get(char)
        if pattern is None:
            pattern = self.compiled[char] = _join([self.parts[i] for i in self.by_char[char]])
        return pattern

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Exactly `self.full.finditer(text)` (lookbehinds still see the whole text)."""
        if self.starts is None:
            yield from self.full.finditer(text)
            return
        position = 0
        search, pattern_for, followers = self.starts.search, self._for, self.followers
        while (candidate := search(text, position)) is not None:
            at = candidate.start()
            after = followers[text[at]]
            if after is not None and text[at + 1] not in after:
                position = at + 1
                continue
            found = pattern_for(text[at]).match(text, at)
            if found is None:
                position = at + 1
                continue
            yield found
            position = found.end()


def _join(parts: list[tuple[str, str]]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in parts), re.ASCII)


def _class(chars: set[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _prefixes(items: list, depth: int) -> set[str]:
    """Prefixes (up to `depth` characters) of what the item sequence can match.

    A prefix shorter than `depth` means the match may end there or continue with anything.
    """
    if depth == 0 or not items:
        return {""}
    (op, av), rest = items[0], items[1:]
    name = str(op)
    if name in _ZERO_WIDTH:
        return _prefixes(rest, depth)
    if name in _SINGLE:
        chars = {chr(av)} if name == "LITERAL" else _charset(av) if name == "IN" else None
        if chars is None:  # a wide class: fine after the first character, not as the first
            if depth == _DEPTH:
                raise _Unknown("a match may start with almost any character")
            return {""}
        tails = _prefixes(rest, depth - 1)
        return {c + tail for c in chars for tail in tails}
    if name == "BRANCH":
        return {p for alternative in av[1] for p in _prefixes(list(alternative.data) + rest, depth)}
    if name == "SUBPATTERN":
        return _prefixes(list(av[-1].data) + rest, depth)
    if name in _REPEATS:
        low, high, sub = av
        body = list(sub.data)
        if _nullable(body):
            raise _Unknown("a repeat that can match nothing")
        found = _prefixes(rest, depth) if low == 0 else set()
        if high > 0:
            again = [(op, (max(low - 1, 0), high - 1, sub))] if high > 1 else []
            found |= _prefixes(body + again + rest, depth)
        return found
    raise _Unknown(name)


def _nullable(items: list) -> bool:
    for op, av in items:
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        if name in _SINGLE:
            return False
        if name == "BRANCH":
            if not any(_nullable(list(alt.data)) for alt in av[1]):
                return False
        elif name == "SUBPATTERN":
            if not _nullable(list(av[-1].data)):
                return False
        elif name in _REPEATS:
            if av[0] > 0 and not _nullable(list(av[2].data)):
                return False
        else:
            raise _Unknown(name)
    return True


def _charset(items: list) -> set[str] | None:
    """The characters of a class; None when it is negated or too wide to list."""
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.add(chr(av))
        elif name == "RANGE":
            if av[1] - av[0] > _MAX_CLASS:
                return None
            out.update(chr(c) for c in range(av[0], av[1] + 1))
        elif name == "CATEGORY" and str(av) == "CATEGORY_DIGIT":
            out.update("0123456789")
        else:
            return None
    return out
