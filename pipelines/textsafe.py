"""Text from outside kept in its place: secrets redacted, terminal escapes and controls removed.

Provider messages and model answers are not ours: before they are printed or logged, `redact`
hides the API key and anything shaped like a credential, and `for_terminal` drops the escape
sequences and control characters that would let canvas or upstream text move the cursor, recolour
the screen, retitle the window or hide a line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

REDACTED = "***"

# Bearer tokens, sk-… keys (OpenAI, DeepSeek, Moonshot, Anthropic style) and key=value pairs.
_CREDENTIALS = re.compile(
    r"(?i)\bbearer\s+[\w.~+/=-]+"
    r"|\bsk-[\w-]{6,}"
    r"|\b(?:api[_-]?key|authorization|x-api-key|access[_-]?token)\b[\"']?\s*[:=]\s*[\"']?"
    r"(?:bearer\s+)?[\w.~+/=-]+"
)
# ESC-introduced sequences (CSI, OSC up to BEL/ST, DCS/PM/APC strings, two-character escapes)
# and the 8-bit CSI/OSC forms.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x90\x9d\x9e\x9f].*?(?:\x07|\x1b\\|\x9c|$)",
    re.DOTALL,
)
# Format characters that reorder or hide text on screen (bidi overrides, isolates).
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with each of `secrets` and anything shaped like a credential replaced by ***."""
    text = _CREDENTIALS.sub(REDACTED, text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def for_terminal(text: str, *, keep_newlines: bool = False) -> str:
    """`text` safe to print: no escape sequences, no control or bidi characters.

    Tabs become spaces; line breaks become spaces unless `keep_newlines`.
    """
    text = _ESCAPES.sub("", text)
    kept = []
    for char in text:
        if char == "\n" and keep_newlines:
            kept.append(char)
        elif char in "\t\n\r":
            kept.append(" ")
        elif unicodedata.category(char) == "Cc" or char in _BIDI:
            continue
        else:
            kept.append(char)
    return "".join(kept)


def excerpt(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, marked when cut."""
    return text if len(text) <= limit else f"{text[:limit]}…（共 {len(text)} 字，已截断）"
