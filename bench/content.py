"""Variety of the template engine's weeks: repetition inside a week, sentences shared across
trades, seed-to-seed and tone-to-tone difference, and the live script's words per minute.

Run on the shipped examples and the trade canvases in tests/data/canvases. The targets are
the content issue's; each figure is a share of the week's own sentences or posts.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from pipelines.canvas import Canvas, load_canvas
from pipelines.content import WeekPackage
from pipelines.engines.template import TemplateEngine
from pipelines.knowledge import trade_for
from pipelines.playbook import load_playbook
from pipelines.tasks import generate_week

ROOT = Path(__file__).resolve().parent.parent
CANVASES = sorted((ROOT / "assets/examples").glob("*.toml")) + sorted(
    (ROOT / "tests/data/canvases").glob("*.toml")
)
_SPLIT = re.compile(r"[。！？!?\n]")
# Fixed formulas every week needs word for word: prices, tags, product headers and photo
# briefs (【…】), schedule lines.
_FORMULA = re.compile(r"\d+(\.\d+)?元|^#|^【|^·|^今天群里的安排")
TARGETS = {"repeat": 0.08, "shared": 0.03, "seeds": 0.60}


def sentences(package: WeekPackage) -> list[str]:
    """The calendar's sentences, formulas left out (a sentence is a clause run of 6+ chars)."""
    found = []
    for post in package.calendar.posts:
        for part in _SPLIT.split(post.body):
            part = part.strip(" ～~，,")
            if len(part) >= 6 and not _FORMULA.search(part):
                found.append(part)
    return found


def repeated_share(found: list[str]) -> float:
    counts = Counter(found)
    return sum(n - 1 for n in counts.values()) / max(1, len(found))


def differing(a: WeekPackage, b: WeekPackage) -> float:
    pairs = list(zip(a.calendar.posts, b.calendar.posts, strict=False))
    return sum(x.body != y.body for x, y in pairs) / max(1, len(pairs))


def live_difference(a: WeekPackage, b: WeekPackage) -> float | None:
    if a.livestream is None or b.livestream is None:
        return None
    words = [
        (x.words, y.words)
        for sa, sb in zip(a.livestream.segments, b.livestream.segments, strict=True)
        for ba, bb in zip(sa.steps, sb.steps, strict=True)
        for x, y in zip(ba.lines, bb.lines, strict=False)
    ]
    return sum(x != y for x, y in words) / max(1, len(words))


def live_chars_per_minute(package: WeekPackage) -> float | None:
    script = package.livestream
    if script is None:
        return None
    minutes = sum(b.minutes for s in script.segments for b in s.steps)
    chars = sum(len(line.words) for s in script.segments for b in s.steps for line in b.lines)
    return chars / max(1, minutes)


def with_tone(canvas: Canvas, tone: str) -> Canvas:
    return canvas.model_copy(update={"speaker": canvas.speaker.model_copy(update={"tone": tone})})


def run() -> str:
    playbook = load_playbook()
    weeks = {p.stem: generate_week(load_canvas(p), TemplateEngine(seed=0)) for p in CANVASES}
    trades = {name: trade_for(w.canvas, playbook).key for name, w in weeks.items()}
    own = {name: sentences(w) for name, w in weeks.items()}
    lines = [
        "## Content variety (template engine)",
        "",
        f"Canvases: the {len(CANVASES)} examples and trade canvases. Targets: repeated sentences in a",
        f"week ≤ {TARGETS['repeat']:.0%}; sentences shared with another trade's week ≤ "
        f"{TARGETS['shared']:.0%}; post bodies differing between seeds 0 and 1 ≥ {TARGETS['seeds']:.0%}.",
        "`tone` is the share of posts that change when the tone becomes 热情奔放、爱用感叹号",
        "(话少、酷 for a canvas already lively). Live: characters of product-segment lines per",
        "scheduled minute (target ≥ 60) and the share of lines differing between seeds.",
        "",
        "| canvas | trade | posts | repeated | shared across trades | seeds differ | tone differs | live chars/min | live seeds differ |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, week in weeks.items():
        others = {s for n, found in own.items() if trades[n] != trades[name] for s in found}
        mine = set(own[name])
        shared = len(mine & others) / max(1, len(mine))
        second = generate_week(week.canvas, TemplateEngine(seed=1))
        lively = "热情" in week.canvas.speaker.tone
        tone = "话少、酷" if lively else "热情奔放、爱用感叹号"
        toned = generate_week(with_tone(week.canvas, tone), TemplateEngine(seed=0))
        cpm = live_chars_per_minute(week)
        live_diff = live_difference(week, second)
        lines.append(
            f"| {name} | {trades[name]} | {len(week.calendar.posts)} "
            f"| {repeated_share(own[name]):.1%} | {shared:.1%} | {differing(week, second):.0%} "
            f"| {differing(week, toned):.0%} | {'—' if cpm is None else f'{cpm:.0f}'} "
            f"| {'—' if live_diff is None else f'{live_diff:.0%}'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
