"""Chinese line breaking: break between words, honour 禁则, keep digit/Latin runs whole.

Pillow's own wrapping breaks only at spaces, which Chinese text has none of. Here the text is cut
into clusters that must stay on one line (a word as jieba segments it, with the trade packs'
attribute words added to its dictionary, so 阔腿 or 破洞 never split; a digit/Latin run such as
"300" or "iPhone"; a ¥ with its number; an opening bracket with what follows; a closing mark
with what precedes), and lines are filled greedily, cluster by cluster, against a width measured
by the caller. A word wider than the line is split between its characters, and only then.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

# No line may start with these (closing brackets, sentence and pause marks, ellipsis, dash...).
NO_START = frozenset(
    "，。、：；！？）》」』】〕〗〉”’…—～·%‰℃,.:;!?)]}>"
    "\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff01\uff1f\uff09\uff3d\uff5d\uff05"
)
# No line may end with these (opening brackets and quotes, currency signs).
NO_END = frozenset("（《「『【〔〖〈“‘([{<¥￥$#＃")

# Natural break points: after a space or a pause/sentence mark.
BREAK_AFTER = " ，、：；。！？…）】」』》"

# A run kept whole: letters/digits joined by . , : / - ' + (39.9, 10:00, 3/5, T-1, 1,299).
_RUN = re.compile(r"[A-Za-z0-9]+(?:[.,:/'+\-][A-Za-z0-9]+)*")

Measure = Callable[[str], float]


_CJK = re.compile(r"[\u3400-\u9fff]+")


@functools.cache
def _segmenter():
    """jieba, loaded once per process (about half a second), knowing the trades' words."""
    import jieba

    from pipelines.playbook import load_playbook

    jieba.setLogLevel(logging.WARNING)
    for pack in load_playbook().trades:
        for attribute in pack.attributes:
            for word in attribute.words:
                if _CJK.fullmatch(word):
                    jieba.add_word(word)
    return jieba


def inside_words(text: str) -> set[int]:
    """Positions between two characters of one Chinese word, where no line may break."""
    inside: set[int] = set()
    for run in _CJK.finditer(text):
        pos = run.start()
        for word in _segmenter().cut(run.group()):
            inside.update(range(pos + 1, pos + len(word)))
            pos += len(word)
    return inside


def clusters(text: str, keep_words: bool = True) -> list[str]:
    """Split text into unbreakable pieces; a line break may fall only between two pieces."""
    tokens: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        match = _RUN.match(text, pos)
        if match:
            tokens.append((pos, match.group()))
            pos = match.end()
        else:
            tokens.append((pos, text[pos]))
            pos += 1
    inside = inside_words(text) if keep_words else set()
    pieces: list[str] = []
    glue_next = False
    for start, token in tokens:
        attach_back = token[0] in NO_START or (
            # "%" and units stay on the number: "50%" is one piece.
            pieces and pieces[-1][-1:].isdigit() and token in {"%", "％", "‰"}
        )
        if pieces and (glue_next or start in inside or (attach_back and not pieces[-1].isspace())):
            pieces[-1] += token
        else:
            pieces.append(token)
        glue_next = token[-1] in NO_END
    return pieces


def break_lines(
    text: str, max_width: float, measure: Measure, keep_words: bool = True
) -> list[str] | None:
    """Greedy lines no wider than `max_width`, or None when one piece alone is too wide.

    Spaces at a line edge are dropped; a break is never placed inside a piece from `clusters`.
    When a whole word is wider than the line, the words are broken between characters instead.
    """
    lines: list[str] = []
    current = ""
    for piece in clusters(text.strip(), keep_words):
        candidate = current + piece
        if not current or measure(candidate.rstrip()) <= max_width:
            current = candidate.lstrip() if not current else candidate
            continue
        # A space or a pause mark the writer put in is the nicer break, if the line stays
        # reasonably filled.
        cut = max(current.rfind(mark) for mark in BREAK_AFTER)
        if cut > 0 and not piece.isspace():
            head, tail = current[: cut + 1].rstrip(), (current[cut + 1 :] + piece).lstrip()
            if measure(head) >= 0.4 * max_width and measure(tail) <= max_width:
                lines.append(head)
                current = tail
                continue
        lines.append(current.rstrip())
        current = "" if piece.isspace() else piece
    if current.strip():
        lines.append(current.rstrip())
    if any(measure(line) > max_width for line in lines):
        return break_lines(text, max_width, measure, keep_words=False) if keep_words else None
    return lines


def natural_breaks(lines: list[str]) -> bool:
    """Whether every line but the last ends at a space or a pause mark (then keep the lines)."""
    return all(line[-1] in BREAK_AFTER for line in lines[:-1])
